/// A problem in a YAML file written by a person, located to file, line, column and field path.
public struct ConfigError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The file the problem is in.
    public let file: String
    /// 1-based line, or 0 when the problem is not at one place (e.g. a missing field of the root).
    public let line: Int
    /// 1-based column.
    public let column: Int
    /// Field path such as `models[2].ref`; empty for the document itself.
    public let path: String
    /// What was wrong and what was expected.
    public let message: String

    public var description: String {
        let place = line > 0 ? "\(file):\(line):\(column)" : file
        return path.isEmpty ? "\(place): \(message)" : "\(place): \(path): \(message)"
    }
}
