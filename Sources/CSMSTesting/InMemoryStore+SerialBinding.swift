public import CSMSCore
import Foundation

extension InMemoryStore {
    /// The station's serial binding, if any.
    public func serialBinding(of id: ChargePointID) async throws(StoreError) -> SerialBinding? {
        state.withLock { $0.serialBindings[id] }
    }
}

extension MemoryState {
    /// Applies `bindSerialNumber` / `clearSerialBinding`.
    mutating func applySerialBinding(_ write: StoreWrite) {
        switch write {
        case .bindSerialNumber(var binding):
            binding.boundAt = binding.boundAt.roundedToMilliseconds
            serialBindings[binding.chargePointId] = binding
        case .clearSerialBinding(let id):
            serialBindings[id] = nil
        default:
            break
        }
    }
}
