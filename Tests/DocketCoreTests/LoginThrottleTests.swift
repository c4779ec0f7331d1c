import DocketCore
import Foundation
import Testing

@Suite("Login throttle")
struct LoginThrottleTests {
    let start = Date(timeIntervalSince1970: 1_790_000_000)

    @Test func locksGrowAfterTheThirdFailureAndASuccessClearsTheAccount() {
        let throttle = LoginThrottle()
        for n in 1...2 {
            throttle.failed(account: "t/ana", address: "10.0.0.1", now: start.addingTimeInterval(Double(n)))
            #expect(throttle.retryAfter(account: "t/ana", address: "10.0.0.1", now: start.addingTimeInterval(Double(n))) == nil)
        }
        var now = start.addingTimeInterval(3)
        var expected: TimeInterval = 1
        for _ in 0..<5 {
            throttle.failed(account: "t/ana", address: "10.0.0.1", now: now)
            #expect(throttle.retryAfter(account: "t/ana", address: "10.0.0.1", now: now) == expected)
            now = now.addingTimeInterval(expected)
            #expect(throttle.retryAfter(account: "t/ana", address: "10.0.0.1", now: now) == nil, "the lock ends on time")
            expected *= 2
        }
        // Another account from another address is not held up.
        #expect(throttle.retryAfter(account: "t/beto", address: "10.0.0.2", now: now) == nil)
        throttle.succeeded(account: "t/ana")
        throttle.failed(account: "t/ana", address: "10.0.0.1", now: now)
        #expect(throttle.retryAfter(account: "t/ana", address: "10.0.0.1", now: now) == nil, "a success starts the count again")
    }

    @Test func oneAddressTryingManyAccountsIsLockedToo() {
        let throttle = LoginThrottle()
        for n in 0..<20 {
            throttle.failed(account: "t/user\(n)", address: "10.0.0.9", now: start)
        }
        #expect(throttle.retryAfter(account: "t/someone-new", address: "10.0.0.9", now: start) == 1)
        #expect(throttle.retryAfter(account: "t/someone-new", address: "10.0.0.8", now: start) == nil)
    }

    @Test func countsAreForgottenAfterTheWindowAndLocksAreCapped() {
        let throttle = LoginThrottle(perAccount: .init(lockAfter: 1, maxLock: 60, window: 600))
        var now = start
        for _ in 0..<12 {
            throttle.failed(account: "t/ana", address: "a", now: now)
            now = now.addingTimeInterval(1)
        }
        #expect(throttle.retryAfter(account: "t/ana", address: "a", now: now.addingTimeInterval(-1)) == 60, "never longer than maxLock")
        now = now.addingTimeInterval(601)
        throttle.failed(account: "t/ana", address: "a", now: now)
        #expect(throttle.retryAfter(account: "t/ana", address: "a", now: now) == 1, "a failure after the window counts from one")
    }
}
