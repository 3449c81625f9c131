// The host's clock, as the core wants it: monotonic milliseconds.
import Dispatch

func monotonicMs() -> UInt64 {
    DispatchTime.now().uptimeNanoseconds / 1_000_000
}

/// Sleeps until a monotonic time; returns early (throwing) when cancelled.
func sleep(untilMs deadline: UInt64) async throws {
    let now = monotonicMs()
    if deadline > now {
        try await Task.sleep(nanoseconds: (deadline - now) * 1_000_000)
    }
}
