import Foundation
import Subprocess
import TeamLLM
#if canImport(System)
import System
#else
import SystemPackage
#endif

/// How one sandboxed run ended.
public struct SandboxRun: Sendable, Equatable {
    public enum End: Sendable, Equatable {
        case exited(Int32)
        case signaled(Int32)
        /// Killed by us at the wall clock.
        case wallClock
        /// Killed by us: standard output passed its cap.
        case outputCap
    }
    public let end: End
    /// Standard output (at most the cap) and standard error (at most 64 KiB).
    public let stdout: Data
    public let stderr: Data
    public let wallSeconds: Double
}

/// Why model-written code cannot be run here.
public enum SandboxError: Error, CustomStringConvertible, Equatable {
    /// A tool the sandbox is built from is missing (bubblewrap, setpriv, prlimit, python3).
    case missing(tool: String, path: String, install: String)
    /// The sandbox could be built but does not contain what it must (it was tried and failed).
    case unusable(String)
    /// The sandbox itself failed during a run (not the program): the grade is `ungradable`.
    case failed(String)

    public var description: String {
        switch self {
        case let .missing(tool, path, install):
            "cannot sandbox model-written code: \(tool) is missing (\(path)); install it (\(install)) or pass --unsafe-no-sandbox to run code unsandboxed, which every grade then records"
        case let .unusable(why): "cannot sandbox model-written code: \(why); pass --unsafe-no-sandbox to run code unsandboxed, which every grade then records"
        case let .failed(why): "sandbox failure: \(why)"
        }
    }
}

/// Runs `python3` on a program inside bubblewrap: no network, read-only system, private /tmp, new session, dying
/// with its parent, an empty environment, as an unprivileged user (one per worker, so `RLIMIT_NPROC` holds), under
/// `prlimit`. The wall clock kills the whole process group; standard output is capped while it is read.
///
/// `unsafe` runs the same python3 and limits without bubblewrap or a user switch: for machines where the sandbox
/// cannot be built, chosen explicitly, and recorded in every grade made that way.
public struct Sandbox: Sendable {
    public static let bwrap = "/usr/bin/bwrap", setpriv = "/usr/bin/setpriv", prlimit = "/usr/bin/prlimit", python = "/usr/bin/python3"
    /// User ids of the sandbox: `firstUID` onward, `uidCount` of them, each leased by one run at a time.
    public static let firstUID: UInt32 = 61_000
    public static let uidCount = 64
    public let unsafe: Bool
    /// Where each run's folder is made (readable by the sandbox users).
    let scratch: URL

    /// A sandbox, after checking that every tool exists; `unsafe` skips bubblewrap and the user switch.
    public init(unsafe: Bool = false, scratch: URL = FileManager.default.temporaryDirectory.appendingPathComponent("teamllm-sandbox")) throws(SandboxError) {
        var tools = [("python3", Self.python, "apt-get install python3"), ("prlimit", Self.prlimit, "apt-get install util-linux")]
        if !unsafe { tools += [("bubblewrap", Self.bwrap, "apt-get install bubblewrap"), ("setpriv", Self.setpriv, "apt-get install util-linux")] }
        for (tool, path, install) in tools where !FileManager.default.isExecutableFile(atPath: path) {
            throw .missing(tool: tool, path: path, install: install)
        }
        if !unsafe, getuid() != 0 {
            throw .unusable("switching to an unprivileged user per worker needs root (running as uid \(getuid())), or RLIMIT_NPROC would count this user's own processes")
        }
        self.unsafe = unsafe
        self.scratch = scratch
        do {
            try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
            chmod(scratch.path, 0o711)
        } catch { throw .unusable("cannot make \(scratch.path): \(error)") }
    }

    /// Leases a user id no other run uses, in this process or another (two graders, two shards on one machine):
    /// an exclusive `flock` on `scratch/uid-<uid>.lock`, held until the run's processes are reaped. The worker's own
    /// id is tried first, so one grader's workers keep their ids.
    func lease(preferring worker: Int) throws(SandboxError) -> (uid: UInt32, fd: Int32) {
        for k in 0..<Self.uidCount {
            let uid = Self.firstUID + UInt32((worker + k) % Self.uidCount)
            let fd = open(scratch.appendingPathComponent("uid-\(uid).lock").path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
            guard fd >= 0 else { throw .failed("cannot open the lock of user \(uid) in \(scratch.path): \(String(cString: strerror(errno)))") }
            if flock(fd, LOCK_EX | LOCK_NB) == 0 { return (uid, fd) }
            close(fd)
        }
        throw .failed("all \(Self.uidCount) sandbox users are in use")
    }

    /// The command line for one run of `program.py` in `box` as user `firstUID + worker`.
    func command(box: URL, worker: Int, limits: SandboxLimits) -> [String] {
        let limit = [Self.prlimit, "--cpu=\(limits.cpuSeconds):\(limits.cpuSeconds + 1)", "--as=\(limits.memoryBytes)", "--fsize=\(limits.fileBytes)",
                     "--nofile=\(limits.openFiles)", "--nproc=\(limits.processes)", "--core=0", "--", Self.python, "-I", "-B", "program.py"]
        if unsafe { return limit }
        let uid = Self.firstUID + UInt32(worker)
        return [Self.setpriv, "--reuid=\(uid)", "--regid=\(uid)", "--clear-groups", "--",
                Self.bwrap, "--unshare-all", "--die-with-parent", "--new-session", "--clearenv",
                "--ro-bind", "/usr", "/usr", "--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64", "--symlink", "usr/bin", "/bin",
                "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "--bind", box.path, "/box", "--chdir", "/box", "--"] + limit
    }

    /// Runs `program` (Python source) with `stdin`, as worker `worker`, under `limits`.
    public func run(_ program: String, stdin: Data = Data(), worker: Int = 0, limits: SandboxLimits) async throws(SandboxError) -> SandboxRun {
        let box = scratch.appendingPathComponent("run-\(getpid())-\(worker)-\(UUID().uuidString.prefix(8))")
        // The user id is leased (see `lease`); the unsafe mode switches to no user and needs none.
        let leased = unsafe ? nil : try lease(preferring: worker)
        defer { if let leased { close(leased.fd) } }
        let slot = leased.map { Int($0.uid - Self.firstUID) } ?? worker
        do {
            try FileManager.default.createDirectory(at: box, withIntermediateDirectories: false)
            try Data(program.utf8).write(to: box.appendingPathComponent("program.py"))
            if !unsafe {
                // The worker's user owns its folder (its writes stay inside it, bounded by RLIMIT_FSIZE).
                let uid = Self.firstUID + UInt32(slot)
                chown(box.path, uid, uid)
                chmod(box.path, 0o700)
            }
        } catch { throw .failed("cannot prepare \(box.path): \(error)") }
        defer {
            if !unsafe { Self.reap(uid: Self.firstUID + UInt32(slot)) }
            try? FileManager.default.removeItem(at: box)
        }
        let argv = command(box: box, worker: slot, limits: limits)
        var options = PlatformOptions()
        options.processGroupID = 0 // its own group: the wall clock kills the group, not just the child
        let start = DispatchTime.now()
        let cap = limits.outputBytes
        do {
            let result = try await Subprocess.run(
                .path(FilePath(argv[0])), arguments: Arguments(Array(argv.dropFirst())), environment: .custom([:]),
                workingDirectory: FilePath(box.path), platformOptions: options, input: .data(stdin), output: .sequence, error: .sequence
            ) { execution -> (stdout: Data, stderr: Data, killed: SandboxRun.End?) in
                try await withThrowingTaskGroup(of: Reading.self) { group in
                    group.addTask { .out(try await Self.read(execution.standardOutput, cap: cap)) }
                    group.addTask { .err(try await Self.read(execution.standardError, cap: 64 << 10)) }
                    group.addTask {
                        try await Task.sleep(nanoseconds: UInt64(limits.wallSeconds * 1e9))
                        return .wallClock
                    }
                    var out = Data(), err = Data(), killed: SandboxRun.End?
                    var open = 2
                    while open > 0, let r = try await group.next() {
                        switch r {
                        case let .out(o):
                            out = o.data; open -= 1
                            if o.overflowed, killed == nil { killed = .outputCap; try? execution.send(signal: .kill, toProcessGroup: true) }
                        case let .err(e): err = e.data; open -= 1
                        case .wallClock:
                            if killed == nil { killed = .wallClock }
                            try? execution.send(signal: .kill, toProcessGroup: true)
                        }
                    }
                    group.cancelAll()
                    return (out, err, killed)
                }
            }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
            let r = result.closureResult
            let end: SandboxRun.End
            if let killed = r.killed { end = killed } else {
                switch result.terminationStatus {
                // bwrap exits with 128 + n when the program inside was killed by signal n.
                case let .exited(code) where !unsafe && code > 128 && code < 160: end = .signaled(code - 128)
                case let .exited(code): end = .exited(code)
                case let .signaled(sig): end = .signaled(sig)
                }
            }
            if !unsafe, case .exited(1) = end, String(decoding: r.stderr, as: UTF8.self).hasPrefix("bwrap:") {
                throw SandboxError.failed(String(decoding: r.stderr.prefix(500), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
            }
            return SandboxRun(end: end, stdout: r.stdout, stderr: r.stderr, wallSeconds: seconds)
        } catch let e as SandboxError { throw e } catch { throw .failed("\(error)") }
    }

    /// Kills every live process the worker's user still has (a fork that outlived its program, the namespace's
    /// teardown still under way) and waits, at most two seconds, until none is left: the next run's `RLIMIT_NPROC`
    /// counts them.
    static func reap(uid: UInt32) {
        let deadline = DispatchTime.now().uptimeNanoseconds + 2_000_000_000
        while true {
            var found = false
            for name in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
                guard let pid = Int32(name) else { continue }
                var st = stat()
                guard stat("/proc/\(name)", &st) == 0, st.st_uid == uid else { continue }
                // A zombie has already died (its parent, bwrap's, or init, reaps it): nothing to kill.
                if let line = try? String(contentsOfFile: "/proc/\(name)/stat", encoding: .utf8),
                   let close = line.lastIndex(of: ")"), line[line.index(after: close)...].trimmingCharacters(in: .whitespaces).hasPrefix("Z") { continue }
                found = true
                kill(pid, SIGKILL)
            }
            if !found || DispatchTime.now().uptimeNanoseconds > deadline { return }
            usleep(10_000)
        }
    }

    private enum Reading: Sendable {
        case out((data: Data, overflowed: Bool)), err((data: Data, overflowed: Bool)), wallClock
    }

    /// Reads a stream to its end, keeping at most `cap` bytes; past the cap it stops reading (the caller kills the group).
    private static func read(_ sequence: SubprocessOutputSequence, cap: Int) async throws -> (data: Data, overflowed: Bool) {
        var data = Data()
        for try await buffer in sequence {
            let room = cap - data.count
            buffer.withUnsafeBytes { raw in data.append(contentsOf: raw.prefix(max(0, room))) }
            if buffer.count > room { return (data, true) }
        }
        return (data, false)
    }
}
