import CSMSCore
import OCPP
import Testing

/// The outbound CALL state machine, without I/O (one in flight, FIFO, timeout, disconnect,
/// late and unknown replies).
@Suite struct OutboundCallStateMachineTests {
    func call(_ n: Int) -> OutboundCall {
        OutboundCall(commandId: "c\(n)", messageId: "m\(n)", action: "Reset", payload: ["type": "Soft"])
    }

    @Test func firstCallIsSentAtOnceOthersWaitInOrder() {
        var machine = OutboundCallStateMachine(queueCapacity: 5)
        #expect(machine.enqueue(call(1)) == .send(call(1)))
        #expect(machine.enqueue(call(2)) == .queued(position: 1))
        #expect(machine.enqueue(call(3)) == .queued(position: 2))
        #expect(machine.inFlight == call(1))
        #expect(machine.queue == [call(2), call(3)])
    }

    @Test func oneInFlightUntilAnsweredThenFIFO() {
        var machine = OutboundCallStateMachine(queueCapacity: 5)
        _ = machine.enqueue(call(1))
        _ = machine.enqueue(call(2))
        _ = machine.enqueue(call(3))
        // A reply to a queued (not yet sent) CALL's id must not release anything.
        #expect(machine.replyReceived(messageId: "m2") == .unknown)
        #expect(machine.inFlight == call(1))
        #expect(machine.replyReceived(messageId: "m1") == .answered(call(1), next: call(2)))
        #expect(machine.inFlight == call(2))
        #expect(machine.replyReceived(messageId: "m2") == .answered(call(2), next: call(3)))
        #expect(machine.replyReceived(messageId: "m3") == .answered(call(3), next: nil))
        #expect(machine.inFlight == nil)
        // The slot is free again: the next CALL goes out at once.
        #expect(machine.enqueue(call(4)) == .send(call(4)))
    }

    @Test func queueIsBounded() {
        var machine = OutboundCallStateMachine(queueCapacity: 2)
        _ = machine.enqueue(call(1))
        _ = machine.enqueue(call(2))
        _ = machine.enqueue(call(3))
        #expect(machine.enqueue(call(4)) == .queueFull)
        #expect(machine.queue.count == 2)
        _ = machine.replyReceived(messageId: "m1")
        #expect(machine.enqueue(call(4)) == .queued(position: 2))
    }

    @Test func zeroCapacityStillAllowsOneInFlight() {
        var machine = OutboundCallStateMachine(queueCapacity: 0)
        #expect(machine.enqueue(call(1)) == .send(call(1)))
        #expect(machine.enqueue(call(2)) == .queueFull)
    }

    @Test func timeoutFreesTheSlotForTheNextQueuedCall() {
        var machine = OutboundCallStateMachine(queueCapacity: 5)
        _ = machine.enqueue(call(1))
        _ = machine.enqueue(call(2))
        #expect(machine.timeoutFired(messageId: "m1") == .timedOut(call(1), next: call(2)))
        #expect(machine.inFlight == call(2))
    }

    @Test func staleTimeoutIsIgnored() {
        var machine = OutboundCallStateMachine(queueCapacity: 5)
        _ = machine.enqueue(call(1))
        _ = machine.enqueue(call(2))
        _ = machine.replyReceived(messageId: "m1")
        // The timer of call 1 fires after it was answered: call 2 must stay in flight.
        #expect(machine.timeoutFired(messageId: "m1") == .ignored)
        #expect(machine.inFlight == call(2))
    }

    @Test func lateReplyIsRecognisedOnce() {
        var machine = OutboundCallStateMachine(queueCapacity: 5)
        _ = machine.enqueue(call(1))
        _ = machine.enqueue(call(2))
        _ = machine.timeoutFired(messageId: "m1")
        #expect(machine.replyReceived(messageId: "m1") == .late(commandId: "c1"))
        #expect(machine.lateReplies == 1)
        // The late reply does not touch the CALL now in flight.
        #expect(machine.inFlight == call(2))
        // A second copy of the same late reply is unknown.
        #expect(machine.replyReceived(messageId: "m1") == .unknown)
        #expect(machine.unknownReplies == 1)
    }

    @Test func lateMemoryIsBounded() {
        var machine = OutboundCallStateMachine(queueCapacity: 5, lateMemory: 2)
        for n in 1...3 {
            _ = machine.enqueue(call(n))
            _ = machine.timeoutFired(messageId: "m\(n)")
        }
        #expect(machine.replyReceived(messageId: "m1") == .unknown)
        #expect(machine.replyReceived(messageId: "m2") == .late(commandId: "c2"))
        #expect(machine.replyReceived(messageId: "m3") == .late(commandId: "c3"))
    }

    @Test func unknownReplyIsCountedAndChangesNothing() {
        var machine = OutboundCallStateMachine(queueCapacity: 5)
        #expect(machine.replyReceived(messageId: "nobody") == .unknown)
        _ = machine.enqueue(call(1))
        #expect(machine.replyReceived(messageId: "other") == .unknown)
        #expect(machine.unknownReplies == 2)
        #expect(machine.inFlight == call(1))
    }

    @Test func closeFailsInFlightAndQueuedAndRefusesMore() {
        var machine = OutboundCallStateMachine(queueCapacity: 5)
        _ = machine.enqueue(call(1))
        _ = machine.enqueue(call(2))
        _ = machine.enqueue(call(3))
        #expect(machine.close() == [call(1), call(2), call(3)])
        #expect(machine.inFlight == nil && machine.queue.isEmpty && machine.isClosed)
        #expect(machine.enqueue(call(4)) == .closed)
        #expect(machine.replyReceived(messageId: "m1") == .unknown)
        #expect(machine.timeoutFired(messageId: "m1") == .ignored)
    }

    @Test func abandonRemovesQueuedOrReleasesTheSlot() {
        var machine = OutboundCallStateMachine(queueCapacity: 5)
        _ = machine.enqueue(call(1))
        _ = machine.enqueue(call(2))
        _ = machine.enqueue(call(3))
        #expect(machine.abandon(commandId: "c2") == .removedFromQueue(call(2)))
        #expect(machine.abandon(commandId: "c1") == .releasedSlot(call(1), next: call(3)))
        #expect(machine.abandon(commandId: "c9") == .notFound)
        #expect(machine.inFlight == call(3) && machine.queue.isEmpty)
        // An abandoned CALL's reply is unknown, not late.
        #expect(machine.replyReceived(messageId: "m1") == .unknown)
    }

    @Test func callFrameCarriesMessageIdActionAndPayload() {
        let frame = call(7).frame.jsonValue
        #expect(frame == [2, "m7", "Reset", ["type": "Soft"]])
    }
}
