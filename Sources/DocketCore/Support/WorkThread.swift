import Foundation
import Synchronization

/// Marks the threads of the request executor (`WorkThreads` below, started by the composition root): threads
/// of Docket's own, neither a NIO event loop nor Swift's cooperative pool, on which an adapter may
/// do its short blocking work (a SQLite point read, a rule evaluation) in place instead of
/// handing it to its own thread and waiting to be woken. Anywhere else `isCurrent` is false and
/// adapters hop as they always did.
public enum WorkThread {
    /// A thread-specific key whose value is non-nil on a work thread.
    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        precondition(pthread_key_create(&key, nil) == 0, "pthread_key_create")
        return key
    }()

    private static let numbers = Atomic<Int>(0)

    /// True on a thread `markCurrent()` was called on.
    public static var isCurrent: Bool { pthread_getspecific(key) != nil }

    /// On a work thread, its number: unique in the process (every `WorkThreads` executor's
    /// threads together), so an adapter may keep something per thread (the embedded store's
    /// read connection of each request thread). Nil elsewhere.
    public static var number: Int? { pthread_getspecific(key).map { Int(bitPattern: $0) - 1 } }

    /// Names the calling thread as `ps`, `top` and `perf` show it (at most 15 bytes). Set from
    /// inside the thread: on Linux a name given to a `Thread` before it starts does not reach
    /// the kernel, and the thread keeps the name of the one that started it (the request
    /// threads showed as GCD's "root.default-qos").
    public static func nameCurrent(_ name: String) {
        Thread.current.name = String(decoding: name.utf8.prefix(15), as: UTF8.self)
    }

    /// Called once by each work thread as it starts.
    public static func markCurrent() {
        let number = numbers.add(1, ordering: .relaxed).newValue
        pthread_setspecific(key, UnsafeRawPointer(bitPattern: number))
    }
}


/// The request executor: a few threads of Docket's own that run the server's tasks (every
/// connection's and request's work, by task executor preference, see `DocketSystem.run` in the composition root).
/// They are neither NIO's event loops nor Swift's cooperative pool, so the adapters may do
/// their short blocking work on them in place (`WorkThread.isCurrent`): a change's store read
/// and its rule evaluation happen on the thread the request already runs on, and the
/// group-commit writer is the only other thread the change meets.
///
/// One queue feeds every thread: a thread held by a blocking call (a slow read) leaves the
/// others to take the next job.
public final class WorkThreads: TaskExecutor, @unchecked Sendable {
    // `jobs`, `head` and `idle` are guarded by `condition`.
    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []
    private var head = 0
    private var idle = 0
    public let count: Int

    public init(count: Int, name: String = "docket.work") {
        self.count = max(1, count)
        for index in 0..<self.count {
            let threadName = "\(name).\(index)"
            let thread = Thread { [self] in
                WorkThread.nameCurrent(threadName)
                loop()
            }
            thread.name = threadName
            thread.stackSize = 1 << 20
            thread.start()
        }
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        jobs.append(job)
        if idle > 0 { condition.signal() }
        condition.unlock()
    }

    private func loop() {
        WorkThread.markCurrent()
        let executor = asUnownedTaskExecutor()
        while true {
            condition.lock()
            while head == jobs.count {
                if head > 0 {
                    jobs.removeAll(keepingCapacity: true)
                    head = 0
                }
                idle += 1
                condition.wait()
                idle -= 1
            }
            let job = jobs[head]
            head += 1
            // Under steady load the queue may never run dry: drop what was taken now and then.
            if head >= 4096, head * 2 >= jobs.count {
                jobs.removeFirst(head)
                head = 0
            }
            condition.unlock()
            job.runSynchronously(on: executor)
        }
    }
}
