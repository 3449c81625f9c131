// The resume token on disk. It is replaced atomically (write, fsync, rename)
// so a process killed at any moment leaves either the old token or the new.
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

enum TokenFile {
    static func read(_ url: URL) throws -> String {
        try String(contentsOf: url, encoding: .utf8)
    }

    /// A new file beside `url` (`.NAME.<random><suffix>`), created exclusively
    /// so it is never a file the user has, nor a link planted at the name;
    /// `mode` less the umask, as for any file the user creates.
    static func createBeside(_ url: URL, suffix: String, mode: mode_t) throws -> (URL, FileHandle) {
        let dir = url.deletingLastPathComponent()
        for _ in 0..<16 {
            let random = UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(12).lowercased()
            let tmp = dir.appendingPathComponent(".\(url.lastPathComponent).\(random)\(suffix)")
            let fd = open(tmp.path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
            if fd >= 0 {
                return (tmp, FileHandle(fileDescriptor: fd, closeOnDealloc: true))
            }
            if errno != EEXIST {
                throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: tmp.path])
            }
        }
        throw CocoaError(.fileWriteFileExists, userInfo: [NSFilePathErrorKey: url.path])
    }

    /// Replaces the token at `url`: written beside it, flushed to disk
    /// (fsync) before the rename over it, then the directory flushed so the
    /// rename itself survives a power cut.
    static func write(_ text: String, to url: URL) throws {
        let (tmp, handle) = try createBeside(url, suffix: ".tmp", mode: 0o600)
        do {
            try handle.write(contentsOf: Data(text.utf8))
            try handle.synchronize()
            try handle.close()
        } catch {
            try? handle.close()
            remove(tmp)
            throw error
        }
        guard rename(tmp.path, url.path) == 0 else {
            remove(tmp)
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: url.path])
        }
        syncDirectory(of: url)
    }

    /// Flushes the directory entry of `url`. Best effort: the token is
    /// already whole on disk, and some file systems refuse a directory fsync.
    static func syncDirectory(of url: URL) {
        let fd = open(url.deletingLastPathComponent().path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = fsync(fd)
        _ = close(fd)
    }

    static func remove(_ url: URL) {
        try? FileManager.default.removeItem(at: url)
    }
}
