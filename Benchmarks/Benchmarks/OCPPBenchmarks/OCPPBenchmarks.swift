import Benchmark
import OCPP
import OCPP16
import OCPP201

/// One message to measure: a complete CALL frame as a station sends it.
struct Sample: Sendable {
    let name: String
    let version: OCPPVersion
    let frame: [UInt8]
    let decode: @Sendable (JSONValue, inout DecodingContext) -> (any OCPPPayload)?
}

func sample<T: OCPPPayload>(_ name: String, _ version: OCPPVersion, _ type: T.Type, _ text: String) -> Sample {
    Sample(name: name, version: version, frame: Array(text.utf8)) { value, context in T.decode(value, &context) }
}

let meterValues16: String = {
    let measurands: [(String, String?, String)] = [
        ("Energy.Active.Import.Register", nil, "Wh"), ("Power.Active.Import", nil, "W"),
        ("Current.Import", "L1", "A"), ("Current.Import", "L2", "A"), ("Current.Import", "L3", "A"),
        ("Voltage", "L1-N", "V"), ("Voltage", "L2-N", "V"), ("Voltage", "L3-N", "V"),
        ("SoC", nil, "Percent"), ("Temperature", nil, "Celsius"),
    ]
    let values = measurands.enumerated().map { i, m in
        let phase = m.1.map { #","phase":"\#($0)""# } ?? ""
        return #"{"value":"\#(1234.5 + Double(i))","context":"Sample.Periodic","measurand":"\#(m.0)""#
            + #"\#(phase),"location":"Outlet","unit":"\#(m.2)"}"#
    }
    return #"[2,"mv-000001","MeterValues",{"connectorId":1,"transactionId":4711,"meterValue":[{"timestamp":"#
        + #""2026-11-27T08:15:00.000Z","sampledValue":[\#(values.joined(separator: ","))]}]}]"#
}()

let samples: [Sample] = [
    sample("Heartbeat 1.6", .v16, OCPP16.HeartbeatRequest.self, #"[2,"hb-000001","Heartbeat",{}]"#),
    sample(
        "BootNotification 1.6", .v16, OCPP16.BootNotificationRequest.self,
        #"[2,"bn-000001","BootNotification",{"chargePointVendor":"VendorX","chargePointModel":"ModelY-22kW","#
            + #""chargePointSerialNumber":"SN-0001234","chargeBoxSerialNumber":"CB-0001234","#
            + #""firmwareVersion":"1.8.3","iccid":"8931089318104314834","imsi":"204043254567890","#
            + #""meterType":"EM340","meterSerialNumber":"M-99887766"}]"#),
    sample("MeterValues 1.6 (10 samples)", .v16, OCPP16.MeterValuesRequest.self, meterValues16),
    sample(
        "TransactionEvent 2.0.1", .v201, OCPP201.TransactionEventRequest.self,
        #"[2,"te-000001","TransactionEvent",{"eventType":"Updated","timestamp":"2026-11-27T08:15:00.000Z","#
            + #""triggerReason":"MeterValuePeriodic","seqNo":12,"offline":false,"numberOfPhasesUsed":3,"#
            + #""transactionInfo":{"transactionId":"f1c2a3b4-0001","chargingState":"Charging"},"#
            + #""idToken":{"idToken":"04A2B3C4D5E6F7","type":"ISO14443"},"evse":{"id":1,"connectorId":1},"#
            + #""meterValue":[{"timestamp":"2026-11-27T08:15:00.000Z","sampledValue":["#
            + #"{"value":12345.6,"measurand":"Energy.Active.Import.Register","unitOfMeasure":{"unit":"Wh"}},"#
            + #"{"value":7360,"measurand":"Power.Active.Import","unitOfMeasure":{"unit":"W"}},"#
            + #"{"value":32.1,"measurand":"Current.Import","phase":"L1"},"#
            + #"{"value":231.7,"measurand":"Voltage","phase":"L1-N"}]}]}]"#),
]

/// Frame decode plus typed payload decode; `validating` false is plain decoding (the baseline).
@inline(__always)
func decodeCall(_ s: Sample, validating: Bool) -> any OCPPPayload {
    guard case .call(let call) = try? RPCFrame.decode(s.frame, version: s.version) else {
        fatalError("benchmark frame \(s.name) does not decode")
    }
    var context = DecodingContext(checksConstraints: validating)
    guard let value = s.decode(call.payload, &context), context.violations.isEmpty else {
        fatalError("benchmark payload \(s.name) is invalid: \(context.violations)")
    }
    return value
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .cpuTotal, .mallocCountTotal, .throughput],
        warmupIterations: 1_000,
        maxDuration: .seconds(3),
        maxIterations: 200_000
    )
    for s in samples {
        Benchmark("plain decode: \(s.name)") { benchmark in
            for _ in benchmark.scaledIterations { blackHole(decodeCall(s, validating: false)) }
        }
        Benchmark("decode+validate: \(s.name)") { benchmark in
            for _ in benchmark.scaledIterations { blackHole(decodeCall(s, validating: true)) }
        }
        Benchmark("decode+validate+encode: \(s.name)") { benchmark in
            for _ in benchmark.scaledIterations {
                let value = decodeCall(s, validating: true)
                blackHole(value.encode().serialized())
            }
        }
    }
}
