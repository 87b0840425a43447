import CSMSLoadKit
import Foundation
import NIOCore
import NIOWebSocket
import OCPP
import OCPP16
import OCPP201

/// One request a station has to send, with the time it became due (latency is measured from
/// it, so time spent waiting behind the previous request counts).
struct QueuedCall {
    var step: Step
    var due: UInt64
}

/// What a station sends next; the CALL is built when it is sent (fresh timestamps).
enum Step {
    case boot
    case status(connector: Int, charging: Bool)
    case heartbeat
    case meterValues
    /// The steps of a charging session.
    case authorize, start, sessionMeterValues, stop
}

/// One simulated charging station: its WebSocket frames, its one outstanding CALL (OCPP-J:
/// a station sends a CALL only after the previous one was answered), a queue of due calls
/// behind it, and the state of its current charging session.
///
/// Confined to its event loop: every method runs on `driver.loop` (hence the unchecked
/// `Sendable`, which only lets it cross into that loop's callbacks).
final class Station: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    enum State { case waiting, connecting, booting, settingUp, ready, failed, closed }

    let index: Int
    let id: String
    let messages: StationMessages
    unowned let driver: LoopDriver
    var state = State.waiting
    var context: ChannelHandlerContext?
    var connectStarted: UInt64 = 0
    /// Position in the driver's station list.
    var position = 0

    private var messageCounter: UInt64 = 0
    private var pending: (messageId: String, action: String, step: Step, due: UInt64, sent: UInt64)?
    private var queue: [QueuedCall] = []
    private var queueHead = 0
    private var statusesLeft = 0

    // The charging session (1.6: transaction id from the server; 2.0.1: chosen here).
    private var sessionActive = false
    private var transactionId16: Int?
    private var transactionId201: String?
    private var sessionCounter = 0
    private var seqNo = 0
    private var meterValuesLeft = 0
    private var energyWh = 0
    /// MeterValues (2.0.1: TransactionEvent Updated) of the current session.
    private var sessionMeterValues = 10

    init(index: Int, id: String, version: StationProtocol, driver: LoopDriver) {
        self.index = index
        self.id = id
        self.messages = StationMessages(version: version, idTag: "LOAD\(index % 10_000)")
        self.driver = driver
    }

    var version: StationProtocol { messages.version }
    var isBusy: Bool { pending != nil }
    var queued: Int { queue.count - queueHead }

    // MARK: Frames

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        driver.stationOpened(self)
        enqueue(.boot, due: driver.now())
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.context = nil
        closed(reason: "disconnected")
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        driver.recordSetupError("channel error: \(type(of: error))")
        context.close(promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .text:
            var data = frame.unmaskedData
            let bytes = data.readBytes(length: data.readableBytes) ?? []
            received(bytes)
        case .ping:
            context.writeAndFlush(
                wrapOutboundOut(WebSocketFrame(fin: true, opcode: .pong, maskKey: .random(), data: frame.unmaskedData)),
                promise: nil)
        case .connectionClose:
            closed(reason: "closed by server")
            let close = WebSocketFrame(
                fin: true, opcode: .connectionClose, maskKey: .random(),
                data: context.channel.allocator.buffer(capacity: 0))
            context.writeAndFlush(wrapOutboundOut(close), promise: nil)
            context.close(promise: nil)
        default:
            driver.current.count("frames ignored (\(frame.opcode))")
        }
    }

    /// Closes the connection with a normal close frame.
    func close() {
        guard let context else { return }
        if state != .failed { state = .closed }
        let close = WebSocketFrame(
            fin: true, opcode: .connectionClose, maskKey: .random(),
            data: context.channel.allocator.buffer(bytes: [0x03, 0xE8]))
        context.writeAndFlush(wrapOutboundOut(close), promise: nil)
        context.close(promise: nil)
    }

    private func closed(reason: String) {
        if let pending {
            driver.recordError(pending.action, kind: reason, due: pending.due)
            self.pending = nil
        }
        if state == .connecting || state == .booting || state == .settingUp {
            driver.stationFailed(self, reason: reason)
        }
        if state != .closed && state != .failed {
            driver.stationClosed(self)
            state = .closed
        }
    }

    // MARK: Calls

    /// Queues `step`, due at `due`, and sends it at once when nothing is outstanding.
    func enqueue(_ step: Step, due: UInt64) {
        queue.append(QueuedCall(step: step, due: due))
        sendNext()
    }

    private func sendNext() {
        guard pending == nil, queueHead < queue.count, let context, state != .closed else { return }
        let next = queue[queueHead]
        queueHead += 1
        if queueHead > 64 && queueHead * 2 > queue.count {
            queue.removeFirst(queueHead)
            queueHead = 0
        }
        let call = makeCall(next.step)
        messageCounter += 1
        let messageId = String(messageCounter)
        pending = (messageId, call.action, next.step, next.due, driver.now())
        var buffer = context.channel.allocator.buffer(capacity: 256)
        buffer.writeBytes(call.frame(messageId: messageId))
        context.writeAndFlush(
            wrapOutboundOut(WebSocketFrame(fin: true, opcode: .text, maskKey: .random(), data: buffer)), promise: nil)
    }

    private func makeCall(_ step: Step) -> OutgoingCall {
        let date = Date()
        switch step {
        case .boot: return messages.bootNotification(serial: id)
        case .status(let connector, let charging):
            return messages.statusNotification(connector: connector, charging: charging, at: date)
        case .heartbeat: return messages.heartbeat()
        case .meterValues:
            energyWh += 10
            return messages.meterValues(connector: 1, transactionId: nil, energyWh: energyWh, at: date)
        case .authorize: return messages.authorize()
        case .start:
            switch version {
            case .v16: return messages.startTransaction(connector: 1, meterStart: energyWh, at: date)
            case .v201:
                seqNo = 0
                return messages.transactionEvent(
                    .started, transactionId: transactionId201!, seqNo: seqNo, evse: 1, energyWh: energyWh, at: date)
            }
        case .sessionMeterValues:
            energyWh += 100
            switch version {
            case .v16:
                return messages.meterValues(
                    connector: 1, transactionId: transactionId16, energyWh: energyWh, at: date)
            case .v201:
                seqNo += 1
                return messages.transactionEvent(
                    .updated, transactionId: transactionId201!, seqNo: seqNo, evse: 1, energyWh: energyWh, at: date)
            }
        case .stop:
            switch version {
            case .v16:
                return messages.stopTransaction(transactionId: transactionId16 ?? 0, meterStop: energyWh, at: date)
            case .v201:
                seqNo += 1
                return messages.transactionEvent(
                    .ended, transactionId: transactionId201!, seqNo: seqNo, evse: 1, energyWh: energyWh, at: date)
            }
        }
    }

    /// The fleet's sessions: begins one (Authorize first) unless one is running.
    func beginSession(meterValues: Int, due: UInt64) {
        guard !sessionActive, state == .ready else { return }
        sessionActive = true
        sessionMeterValues = meterValues
        sessionCounter += 1
        if version == .v201 { transactionId201 = "\(id)-\(sessionCounter)" }
        enqueue(.authorize, due: due)
    }

    var inSession: Bool { sessionActive }

    // MARK: Inbound

    private func received(_ bytes: [UInt8]) {
        let frame: RPCFrame
        do {
            frame = try RPCFrame.decode(bytes, version: version == .v16 ? .v16 : .v201)
        } catch {
            driver.current.count("unreadable frames")
            return
        }
        switch frame {
        case .callResult(let result):
            answered(messageId: result.messageId, payload: result.payload, error: nil)
        case .callError(let error), .callResultError(let error):
            answered(messageId: error.messageId, payload: nil, error: error.code.rawValue)
        case .call(let call):
            driver.commandReceived(self, action: call.action)
            let answer = RPCFrame.callResult(
                RPCCallResult(messageId: call.messageId, payload: ["status": "Accepted"]))
            guard let context else { return }
            var buffer = context.channel.allocator.buffer(capacity: 64)
            buffer.writeBytes(answer.encoded())
            context.writeAndFlush(
                wrapOutboundOut(WebSocketFrame(fin: true, opcode: .text, maskKey: .random(), data: buffer)),
                promise: nil)
        case .send:
            driver.current.count("SEND frames")
        }
    }

    private func answered(messageId: String, payload: JSONValue?, error: String?) {
        guard let current = pending, current.messageId == messageId else {
            driver.current.count("unmatched answers")
            return
        }
        pending = nil
        let now = driver.now()
        if let error {
            driver.recordError(current.action, kind: "CALLERROR \(error)", due: current.due)
            failedStep(current.step)
        } else {
            driver.record(current.action, due: current.due, answeredAt: now)
            succeeded(current.step, payload: payload ?? .null)
        }
        sendNext()
    }

    /// The outstanding CALL got no answer in time: count it and go on with the queue.
    func checkTimeout(now: UInt64, timeout: UInt64) {
        guard let current = pending, now > current.sent, now - current.sent > timeout else { return }
        pending = nil
        driver.recordError(current.action, kind: "timeout", due: current.due)
        failedStep(current.step)
        sendNext()
    }

    private func failedStep(_ step: Step) {
        switch step {
        case .boot:
            driver.stationFailed(self, reason: "boot failed")
            state = .failed
        case .status:
            statusSettled()
        case .authorize, .start, .sessionMeterValues, .stop:
            sessionActive = false  // the session is abandoned; the next one starts afresh
            driver.sessionAbandoned(self)
        case .heartbeat, .meterValues:
            driver.stepDone(self)
        }
    }

    private func succeeded(_ step: Step, payload: JSONValue) {
        switch step {
        case .boot:
            let status = payload["status"]?.stringValue ?? (driver.target.checkAnswers ? "missing" : "Accepted")
            guard status == "Accepted" else {
                driver.stationFailed(self, reason: "boot \(status)")
                state = .failed
                return
            }
            driver.stationBooted(self)
            state = .settingUp
            statusesLeft = driver.plan.connectors
            for connector in 1...driver.plan.connectors {
                enqueue(.status(connector: connector, charging: false), due: driver.now())
            }
        case .status:
            statusSettled()
        case .authorize:
            enqueue(.start, due: driver.now())
        case .start:
            if version == .v16 {
                if !driver.target.checkAnswers && payload["transactionId"] == nil {
                    transactionId16 = sessionCounter
                } else if case .number(let number)? = payload["transactionId"], let id = Int(number.literal) {
                    transactionId16 = id
                } else {
                    driver.recordError("StartTransaction", kind: "no transactionId", due: driver.now())
                    sessionActive = false
                    driver.sessionAbandoned(self)
                    return
                }
            }
            driver.sessionStarted(self, transactionId: currentTransactionId)
            meterValuesLeft = sessionMeterValues
            enqueue(meterValuesLeft > 0 ? .sessionMeterValues : .stop, due: driver.now())
        case .sessionMeterValues:
            meterValuesLeft -= 1
            enqueue(meterValuesLeft > 0 ? .sessionMeterValues : .stop, due: driver.now())
        case .stop:
            sessionActive = false
            driver.sessionCompleted(self, transactionId: currentTransactionId)
        case .heartbeat, .meterValues:
            driver.stepDone(self)
        }
    }

    private var currentTransactionId: String {
        switch version {
        case .v16: transactionId16.map(String.init) ?? "?"
        case .v201: transactionId201 ?? "?"
        }
    }

    private func statusSettled() {
        guard state == .settingUp else {
            driver.stepDone(self)
            return
        }
        statusesLeft -= 1
        if statusesLeft == 0 {
            state = .ready
            driver.stationReady(self)
        }
    }
}
