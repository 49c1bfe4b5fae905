#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A joinable POSIX thread running one closure.
///
/// `@unchecked Sendable` is safe because the handle is only passed to
/// `pthread_join`, exactly once, by the one `LoopCore.shutdown()` call that
/// moved the loop out of `.running`.
///
/// Internal, not private, only because `LoopCore` lives in its own file; the
/// argument above holds only while `LoopCore` is the one owner that joins it.
struct JoinableThread: @unchecked Sendable {
    private let handle: pthread_t

    /// Holds the closure across `pthread_create`'s untyped argument.
    private final class Body {
        let run: @Sendable () -> Void
        init(_ run: @escaping @Sendable () -> Void) { self.run = run }
    }

    init?(body: @escaping @Sendable () -> Void) {
        let context = Unmanaged.passRetained(Body(body)).toOpaque()
        #if canImport(Darwin)
        var handle: pthread_t?
        let created = pthread_create(&handle, nil, { context in
            Unmanaged<Body>.fromOpaque(context).takeRetainedValue().run()
            return nil
        }, context)
        guard created == 0, let handle else {
            Unmanaged<Body>.fromOpaque(context).release()
            return nil
        }
        #else
        var handle = pthread_t()
        let created = pthread_create(&handle, nil, { context in
            Unmanaged<Body>.fromOpaque(context!).takeRetainedValue().run()
            return nil
        }, context)
        guard created == 0 else {
            Unmanaged<Body>.fromOpaque(context).release()
            return nil
        }
        #endif
        self.handle = handle
    }

    func join() {
        pthread_join(handle, nil)
    }
}
