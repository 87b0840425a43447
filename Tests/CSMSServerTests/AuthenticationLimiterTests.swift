import NIOCore
import Testing

@testable import CSMSServer

@Suite("Failed-authentication limits and refusal answers (pure)")
struct AuthenticationLimiterTests {
    @Test("a token bucket allows its capacity, then refills at its rate, never beyond capacity")
    func tokenBucket() {
        var bucket = TokenBucket(capacity: 3, refillPerSecond: 0.5, now: 100)
        let taken = (0..<4).map { _ in bucket.take(now: 100) }
        #expect(taken == [true, true, true, false])
        #expect(!bucket.hasToken(now: 101))
        #expect(bucket.secondsUntilToken(now: 101) == 1)
        #expect(bucket.hasToken(now: 102))
        let later = (0..<2).map { _ in bucket.take(now: 102) }
        #expect(later == [true, false])
        #expect(bucket.isFull(now: 108))
        #expect(!bucket.isFull(now: 107))
        bucket.refill(now: 1000)
        #expect(bucket.tokens == 3)
        bucket.refill(now: 10)  // a clock that went back adds nothing
        #expect(bucket.tokens == 3 && bucket.updatedAt == 1000)
    }

    @Test("failures are limited per address and per id; other addresses and ids stay free")
    func limiter() {
        let limiter = AuthenticationLimiter(burst: 2, refillSeconds: 10)
        #expect(limiter.retryAfter(address: "192.0.2.1", id: "CP1", now: 0) == nil)
        limiter.recordFailure(address: "192.0.2.1", id: "CP1", now: 0)
        #expect(limiter.retryAfter(address: "192.0.2.1", id: "CP1", now: 0) == nil)
        limiter.recordFailure(address: "192.0.2.1", id: "CP1", now: 1)
        #expect(limiter.retryAfter(address: "192.0.2.1", id: "CP1", now: 1) == 9)
        #expect(limiter.retryAfter(address: "192.0.2.1", id: "CP2", now: 1) == 9)  // same address
        #expect(limiter.retryAfter(address: "198.51.100.7", id: "CP1", now: 1) == 9)  // same id
        #expect(limiter.retryAfter(address: "198.51.100.7", id: "CP2", now: 1) == nil)
        #expect(limiter.retryAfter(address: nil, id: "CP3", now: 1) == nil)
        #expect(limiter.retryAfter(address: "192.0.2.1", id: "CP1", now: 10) == nil)
    }

    @Test("the limiter keeps at most maxEntries buckets per kind")
    func limiterMemoryBound() {
        let limiter = AuthenticationLimiter(burst: 5, refillSeconds: 1000, maxEntries: 10)
        for n in 0..<100 { limiter.recordFailure(address: "a\(n)", id: "id\(n)", now: Double(n)) }
        #expect(limiter.entryCount <= 20)
        // The newest entries survive eviction.
        limiter.recordFailure(address: "a99", id: "id99", now: 100)
        for _ in 0..<3 { limiter.recordFailure(address: "a99", id: "id99", now: 100) }
        #expect(limiter.retryAfter(address: "a99", id: "x", now: 100) != nil)
    }

    @Test("the 400 of a refused upgrade is rewritten to the refusal's status and headers; other bytes pass")
    func rewrite() throws {
        let allocator = ByteBufferAllocator()
        var head = allocator.buffer(
            string: "HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n")
        let rewritten = try #require(UpgradeRefusalRewriter.rewrite(&head, as: .unauthorized, allocator: allocator))
        #expect(
            String(buffer: rewritten)
                == "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"OCPP\", charset=\"UTF-8\"\r\n"
                + "connection: close\r\ncontent-length: 0\r\n\r\n")
        var limited = allocator.buffer(string: "HTTP/1.1 400 Bad Request\r\n\r\n")
        let tooMany = try #require(
            UpgradeRefusalRewriter.rewrite(
                &limited, as: .tooManyRequests(retryAfterSeconds: 0), allocator: allocator))
        #expect(String(buffer: tooMany) == "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 1\r\n\r\n")
        var other = allocator.buffer(string: "HTTP/1.1 101 Switching Protocols\r\n\r\n")
        #expect(UpgradeRefusalRewriter.rewrite(&other, as: .forbidden, allocator: allocator) == nil)
    }

    @Test("every failure has an answer; only credential and binding failures count against the limit")
    func failureAnswers() {
        for failure in AuthenticationFailure.allCases {
            let response = failure.response(retryAfterSeconds: 5)
            switch failure {
            case .missingCredentials, .wrongUser, .wrongPassword:
                #expect(response == .unauthorized)
                #expect(failure.counts)
            case .rateLimited:
                #expect(response.status == 429 && response.headerLines == ["Retry-After: 5"])
                #expect(!failure.counts && !failure.isSecurityEvent)
            case .plainWebSocketDisabled:
                #expect(response.status == 403 && !failure.counts)
            case .profileTooLow, .certificateMismatch:
                #expect(response.status == 403 && failure.counts && failure.isSecurityEvent)
            case .storeUnavailable:
                #expect(response.status == 503 && !failure.counts && !failure.isSecurityEvent)
            }
        }
    }
}
