import Foundation
import Synchronization

/// Where the `console` channel writes: standard output, one whole alert at a time.
public enum ConsoleOutput {
    private static let lock = Mutex(())

    public static func write(_ text: String) {
        lock.withLock { _ in
            FileHandle.standardOutput.write(Data((text + "\n").utf8))
        }
    }
}
