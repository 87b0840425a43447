public import CSMSCore
import Foundation
import Testing

extension StoreConformance {
    /// A serial binding needs no registered charge point, round-trips (date to the
    /// millisecond), is replaced by a second binding, is removed by `clearSerialBinding`
    /// (also when absent), and belongs to one station only.
    public static func serialBindingsBindReplaceAndClear(_ makeStore: Factory) async throws {
        let store = try await makeStore()
        let a = cp("CP-SB-A")
        let b = cp("CP-SB-B")
        #expect(try await store.serialBinding(of: a) == nil)
        try await store.commit([
            .bindSerialNumber(SerialBinding(chargePointId: a, serialNumber: "SN-1", boundAt: t(1.0004)))
        ])
        #expect(
            try await store.serialBinding(of: a) == SerialBinding(chargePointId: a, serialNumber: "SN-1", boundAt: t(1))
        )
        #expect(try await store.serialBinding(of: b) == nil)
        try await store.commit([.bindSerialNumber(SerialBinding(chargePointId: a, serialNumber: "SN-2", boundAt: t(2)))]
        )
        #expect(try await store.serialBinding(of: a)?.serialNumber == "SN-2")
        try await store.commit([.clearSerialBinding(id: a), .clearSerialBinding(id: b)])
        #expect(try await store.serialBinding(of: a) == nil)
    }
}
