import Testing

@testable import CSMSStorageSQLite

/// The decisions of `WALCheckpointer` (docs/storage.md, "Checkpoints"), at the default limit
/// of 40,000 frames: tail 256, longest tail 2,500.
@Suite struct CheckpointPlanTests {
    @Test func roundStartsAtTheLimitAndEndsWithAShortTailOnTheWriter() {
        var plan = CheckpointPlan(pages: 40_000)
        #expect(plan.tail == 256 && plan.longestTail == 2_500)
        #expect(plan.committed(frames: 39_999) == .none)
        #expect(plan.committed(frames: 40_000) == .background)
        // One pass at a time: commits during the pass start nothing.
        #expect(plan.committed(frames: 41_000) == .none)
        plan.passFinished(startedAt: 40_000, copied: 40_000)
        #expect(plan.committed(frames: 40_200) == .copyTail)
        // The WAL started over: below the limit, a new round.
        #expect(plan.committed(frames: 300) == .none)
        #expect(plan == CheckpointPlan(pages: 40_000))
    }

    @Test func longTailGetsAnotherPassUntilPassesStopShorteningIt() {
        var plan = CheckpointPlan(pages: 40_000)
        #expect(plan.committed(frames: 40_000) == .background)
        plan.passFinished(startedAt: 40_000, copied: 40_000)
        // 3,000 frames arrived during the pass: longer than the longest tail.
        #expect(plan.committed(frames: 43_000) == .background)
        plan.passFinished(startedAt: 43_000, copied: 43_000)
        // 1,200 left, shorter than before: one more pass.
        #expect(plan.committed(frames: 44_200) == .background)
        plan.passFinished(startedAt: 44_200, copied: 44_200)
        // 1,300 left, no shorter: the writer takes it.
        #expect(plan.committed(frames: 45_500) == .copyTail)
    }

    @Test func writerTakesAnyTailPastTwiceTheLimit() {
        var plan = CheckpointPlan(pages: 40_000)
        #expect(plan.committed(frames: 40_000) == .background)
        plan.passFinished(startedAt: 40_000, copied: 40_000)
        // A slow pass on a saturated core: 30,000 new frames, still more than the longest tail.
        #expect(plan.committed(frames: 70_000) == .background)
        plan.passFinished(startedAt: 70_000, copied: 70_000)
        #expect(plan.committed(frames: 81_000) == .copyTail)
    }

    @Test func failedOrFruitlessPassWaitsForTheWALToGrow() {
        var plan = CheckpointPlan(pages: 40_000)
        #expect(plan.committed(frames: 40_000) == .background)
        plan.passFinished(startedAt: 40_000, copied: nil)
        #expect(plan.committed(frames: 42_499) == .none)
        #expect(plan.committed(frames: 42_500) == .background)
        // A reader pins the frames after 10,000: the pass copies up to there.
        plan.passFinished(startedAt: 42_500, copied: 10_000)
        #expect(plan.committed(frames: 42_600) == .background)
        plan.passFinished(startedAt: 42_600, copied: 10_000)
        #expect(plan.committed(frames: 45_099) == .none)
        #expect(plan.committed(frames: 45_100) == .background)
    }

    @Test func nothingStartsOnceClosed() {
        var plan = CheckpointPlan(pages: 64)
        #expect(plan.tail == 4 && plan.longestTail == 4)
        plan.closed = true
        #expect(plan.committed(frames: 1_000) == .none)
        #expect(plan.committed(frames: 10) == .none)
        #expect(plan.closed)
    }
}
