import Foundation
import PackagePlugin

/// Writes `BuildInfo.swift` (the git commit the sources were built from) before every build, so a run
/// records the commit of the binary that ran it, not whatever the checkout holds when the run starts.
/// The file is rewritten only when the commit (or its "+modified" mark) changes, so it costs no rebuild.
@main
struct BuildInfoPlugin: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let out = context.pluginWorkDirectoryURL.appending(path: "generated")
        let script = #"""
            cd "$1" || exit 0
            c=$(git rev-parse HEAD 2>/dev/null) || c=unknown
            if [ "$c" != unknown ] && [ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ]; then c="$c+modified"; fi
            mkdir -p "$2"
            new="enum BuildInfo { /// Git commit of the sources this binary was built from (+modified: with uncommitted changes).
                static let gitCommit = \"$c\" }"
            [ "$(cat "$2/BuildInfo.swift" 2>/dev/null)" = "$new" ] || printf '%s\n' "$new" > "$2/BuildInfo.swift"
            """#
        return [.prebuildCommand(displayName: "Record the git commit of the build", executable: URL(fileURLWithPath: "/bin/sh"),
                                 arguments: ["-c", script, "sh", context.package.directoryURL.path, out.path], outputFilesDirectory: out)]
    }
}
