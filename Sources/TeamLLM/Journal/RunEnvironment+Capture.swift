import Foundation

extension RunEnvironment {
    /// The environment of this process: tool version, git commit the binary was built from, Swift, OS, CPU.
    public static func current() -> RunEnvironment {
        var u = utsname()
        uname(&u)
        func field<T>(_ value: T) -> String {
            withUnsafeBytes(of: value) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        }
        let osRelease = (try? String(contentsOfFile: "/etc/os-release", encoding: .utf8))?
            .split(separator: "\n").first { $0.hasPrefix("PRETTY_NAME=") }
            .map { $0.dropFirst("PRETTY_NAME=".count).trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
        return RunEnvironment(toolVersion: TeamLLM.version, gitCommit: gitCommit(), swift: swiftVersion,
                              os: "\(osRelease ?? field(u.sysname)) (kernel \(field(u.release)))", arch: field(u.machine))
    }

    static var swiftVersion: String {
        #if compiler(>=6.4)
        "6.4+"
        #elseif compiler(>=6.3)
        "6.3"
        #elseif compiler(>=6.2)
        "6.2"
        #else
        "older than 6.2"
        #endif
    }

    /// The commit of the source tree this binary was built from, fixed at build time (`Plugins/BuildInfo`).
    static func gitCommit() -> String { BuildInfo.gitCommit }
}

/// The tool's version.
public enum TeamLLM {
    public static let version = "0.1.0"
}
