// A small JSON reader and writer for the vectors. Numbers keep their text so
// 64-bit ids survive (JSONSerialization would turn some into Doubles); objects
// keep their order for writing and compare as maps, like Python's dicts.
import Foundation

enum JSON: Equatable, CustomStringConvertible {
    case null
    case bool(Bool)
    case number(String)
    case string(String)
    case array([JSON])
    case object([(String, JSON)])

    struct ParseError: Error, CustomStringConvertible {
        let offset: Int
        let what: String
        var description: String { "JSON: \(what) at byte \(offset)" }
    }

    static func parse(_ text: String) throws -> JSON { try parse(Data(text.utf8)) }

    static func parse(_ data: Data) throws -> JSON {
        var p = Parser(bytes: [UInt8](data))
        let v = try p.value()
        p.skipSpace()
        guard p.i == p.bytes.count else { throw ParseError(offset: p.i, what: "trailing data") }
        return v
    }

    subscript(key: String) -> JSON? {
        guard case .object(let pairs) = self else { return nil }
        return pairs.first { $0.0 == key }?.1
    }

    var string: String? { if case .string(let s) = self { return s } else { return nil } }
    var bool: Bool? { if case .bool(let b) = self { return b } else { return nil } }
    var array: [JSON]? { if case .array(let a) = self { return a } else { return nil } }
    var isNull: Bool { self == .null }
    var object: [(String, JSON)]? { if case .object(let o) = self { return o } else { return nil } }
    var u64: UInt64? { if case .number(let t) = self { return UInt64(t) } else { return nil } }
    var int: Int? { if case .number(let t) = self { return Int(t) } else { return nil } }

    static func == (a: JSON, b: JSON) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case (.bool(let x), .bool(let y)): return x == y
        case (.number(let x), .number(let y)): return sameNumber(x, y)
        case (.string(let x), .string(let y)): return x == y
        case (.array(let x), .array(let y)): return x == y
        case (.object(let x), .object(let y)):
            guard x.count == y.count else { return false }
            let ym = Dictionary(y, uniquingKeysWith: { _, last in last })
            return x.allSatisfy { k, v in ym[k].map { $0 == v } ?? false }
        default: return false
        }
    }

    private static func sameNumber(_ x: String, _ y: String) -> Bool {
        if x == y { return true }
        if let a = Int64(x), let b = Int64(y) { return a == b }
        if let a = UInt64(x), let b = UInt64(y) { return a == b }
        // 1 and 1.0 are the same number to Python and to serde_json's users.
        guard let a = Double(x), let b = Double(y) else { return false }
        return a == b
    }

    var description: String { write() }

    func write() -> String {
        switch self {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .number(let t): return t
        case .string(let s): return JSON.quote(s)
        case .array(let a): return "[" + a.map { $0.write() }.joined(separator: ",") + "]"
        case .object(let o): return "{" + o.map { JSON.quote($0.0) + ":" + $0.1.write() }.joined(separator: ",") + "}"
        }
    }

    static func quote(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 {
                    out += String(format: "\\u%04x", u.value)
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out + "\""
    }

    private struct Parser {
        let bytes: [UInt8]
        var i = 0

        mutating func skipSpace() {
            while i < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[i]) { i += 1 }
        }

        mutating func expect(_ word: String) throws {
            let w = Array(word.utf8)
            guard i + w.count <= bytes.count, Array(bytes[i..<i + w.count]) == w else {
                throw ParseError(offset: i, what: "expected \(word)")
            }
            i += w.count
        }

        mutating func value() throws -> JSON {
            skipSpace()
            guard i < bytes.count else { throw ParseError(offset: i, what: "unexpected end") }
            switch bytes[i] {
            case UInt8(ascii: "{"):
                i += 1
                var pairs: [(String, JSON)] = []
                skipSpace()
                if i < bytes.count, bytes[i] == UInt8(ascii: "}") { i += 1; return .object(pairs) }
                while true {
                    skipSpace()
                    let k = try string()
                    skipSpace()
                    try expect(":")
                    pairs.append((k, try value()))
                    skipSpace()
                    guard i < bytes.count else { throw ParseError(offset: i, what: "unclosed object") }
                    i += 1
                    if bytes[i - 1] == UInt8(ascii: "}") { return .object(pairs) }
                    guard bytes[i - 1] == UInt8(ascii: ",") else { throw ParseError(offset: i - 1, what: "expected , or }") }
                }
            case UInt8(ascii: "["):
                i += 1
                var items: [JSON] = []
                skipSpace()
                if i < bytes.count, bytes[i] == UInt8(ascii: "]") { i += 1; return .array(items) }
                while true {
                    items.append(try value())
                    skipSpace()
                    guard i < bytes.count else { throw ParseError(offset: i, what: "unclosed array") }
                    i += 1
                    if bytes[i - 1] == UInt8(ascii: "]") { return .array(items) }
                    guard bytes[i - 1] == UInt8(ascii: ",") else { throw ParseError(offset: i - 1, what: "expected , or ]") }
                }
            case UInt8(ascii: "\""):
                return .string(try string())
            case UInt8(ascii: "t"):
                try expect("true"); return .bool(true)
            case UInt8(ascii: "f"):
                try expect("false"); return .bool(false)
            case UInt8(ascii: "n"):
                try expect("null"); return .null
            default:
                let start = i
                while i < bytes.count, Array("+-.eE0123456789".utf8).contains(bytes[i]) { i += 1 }
                guard i > start else { throw ParseError(offset: i, what: "unexpected byte") }
                return .number(String(decoding: bytes[start..<i], as: UTF8.self))
            }
        }

        mutating func hex4() throws -> UInt32 {
            guard i + 4 <= bytes.count,
                  let v = UInt32(String(decoding: bytes[i..<i + 4], as: UTF8.self), radix: 16)
            else { throw ParseError(offset: i, what: "bad \\u escape") }
            i += 4
            return v
        }

        mutating func string() throws -> String {
            guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { throw ParseError(offset: i, what: "expected string") }
            i += 1
            var out: [UInt8] = []
            while true {
                guard i < bytes.count else { throw ParseError(offset: i, what: "unclosed string") }
                let c = bytes[i]
                i += 1
                if c == UInt8(ascii: "\"") { break }
                if c != UInt8(ascii: "\\") { out.append(c); continue }
                guard i < bytes.count else { throw ParseError(offset: i, what: "bad escape") }
                let e = bytes[i]
                i += 1
                switch e {
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "u"):
                    var v = try hex4()
                    // A surrogate pair spells one scalar; a lone half becomes U+FFFD.
                    if (0xD800..<0xDC00).contains(v), i + 1 < bytes.count,
                       bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u") {
                        i += 2
                        let low = try hex4()
                        v = (0xDC00..<0xE000).contains(low) ? 0x10000 + ((v - 0xD800) << 10) + (low - 0xDC00) : 0xFFFD
                    }
                    out.append(contentsOf: Array(String(Unicode.Scalar(v).map(Character.init) ?? "\u{FFFD}").utf8))
                default: out.append(e)
                }
            }
            return String(decoding: out, as: UTF8.self)
        }
    }
}
