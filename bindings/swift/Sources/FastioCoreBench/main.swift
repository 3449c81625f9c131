// Per-call cost of crossing the FFI from Swift, printed beside plain Swift
// calls measured in the same run. Build in release: `swift run -c release FastioCoreBench`.
import Dispatch
import FastioCore
import FastioCoreFFI
import Foundation

// Not inlined and not optimised, so the optimiser cannot fold the loop away
// (with `@inline(never)` alone it sees through the identity and does).
@inline(never) @_optimize(none)
func swiftEcho(_ value: UInt64) -> UInt64 { value }

// Read through a global the optimiser cannot see through, so the call stays indirect.
nonisolated(unsafe) var indirectEcho: (UInt64) -> UInt64 = { $0 &+ 0 }

nonisolated(unsafe) var sink: UInt64 = 0

@inline(never)
func keep(_ v: UInt64) { sink &+= v }

func nowNs() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

/// Median ns per call over `rounds` rounds of `n` calls.
func measure(_ n: Int, rounds: Int = 7, _ body: (Int) -> UInt64) -> Double {
    _ = body(n / 10)  // warm-up
    var perCall: [Double] = []
    for _ in 0..<rounds {
        let t0 = nowNs()
        let acc = body(n)
        let t1 = nowNs()
        keep(acc)
        perCall.append(Double(t1 - t0) / Double(n))
    }
    perCall.sort()
    return perCall[rounds / 2]
}

let n = Int(CommandLine.arguments.dropFirst().first ?? "") ?? 5_000_000
// Assigned from run-time input so the optimiser cannot treat the closure as a constant.
if CommandLine.arguments.count > 2 { indirectEcho = { $0 &+ 1 } }

let swiftDirect = measure(n) { k in
    var acc: UInt64 = 0
    for i in 0..<k { acc &+= swiftEcho(UInt64(i)) }
    return acc
}
let swiftIndirect = measure(n) { k in
    var acc: UInt64 = 0
    let f = indirectEcho
    for i in 0..<k { acc &+= f(UInt64(i)) }
    return acc
}
let ffiWrapper = measure(n) { k in
    var acc: UInt64 = 0
    for i in 0..<k { acc &+= ffiEcho(value: UInt64(i)) }
    return acc
}
let ffiRaw = measure(n) { k in
    var acc: UInt64 = 0
    var status = RustCallStatus()
    for i in 0..<k { acc &+= uniffi_fastio_ffi_fn_func_ffi_echo(UInt64(i), &status) }
    precondition(status.code == 0, "ffi_echo reported an error")
    return acc
}
let payload = Data(repeating: 0x61, count: 64)
let ffiBytes = measure(n / 10) { k in
    var acc: UInt64 = 0
    for _ in 0..<k { acc &+= UInt64((try? digestHex(algorithm: "crc32c", data: payload))?.utf8.count ?? 0) }
    return acc
}

func row(_ name: String, _ ns: Double) -> String {
    let label = name.padding(toLength: 52, withPad: " ", startingAt: 0)
    return label + String(format: "%9.2f ns/call  %6.1f x the Swift call through a closure", ns, ns / swiftIndirect)
}

print("per-call cost, release build, median of 7 rounds of \(n) calls (core \(coreVersion()))")
print(row("Swift: call through a closure (the reference)", swiftIndirect))
print(row("Swift: direct call, not inlined, not optimised", swiftDirect))
print(row("FFI: ffiEcho(value:), the generated wrapper", ffiWrapper))
print(row("FFI: uniffi_fastio_ffi_fn_func_ffi_echo, C symbol", ffiRaw))
print(row("FFI: digestHex(crc32c, 64 B), String+Data in/out", ffiBytes))
print(String(format: "ffi_echo costs %.2f ns per call more than a Swift call through a closure", ffiWrapper - swiftIndirect))
