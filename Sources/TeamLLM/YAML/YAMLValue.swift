import Foundation
import Yams

/// A YAML node with the file and field path it came from, so every conversion error can say where.
struct YAMLValue {
    let node: Node
    let file: String
    let path: String

    /// Parses a YAML document; syntax errors carry the parser's line and column.
    static func parse(_ text: String, file: String) throws -> YAMLValue {
        do {
            guard let node = try Yams.compose(yaml: text) else {
                throw ConfigError(file: file, line: 0, column: 0, path: "", message: "the file is empty; expected a mapping")
            }
            return YAMLValue(node: node, file: file, path: "")
        } catch let YamlError.duplicatedKeysInMapping(duplicates, context) {
            // Yams points at the first key and quotes the whole document; the duplicate is what to fix.
            let key = duplicates.first ?? "?"
            let (line, column) = duplicateMark(of: key, after: context.mark, in: text)
            throw ConfigError(file: file, line: line, column: column, path: "",
                              message: "key '\(key)' appears twice in one mapping (first at line \(context.mark.line)); each key may appear once")
        } catch let error as YamlError {
            throw ConfigError(file: file, line: Self.line(of: error), column: Self.column(of: error), path: "",
                              message: "not valid YAML: \(Self.summary(of: error))")
        }
    }

    /// Where the second `key:` after `first` is: the next line (or, in a flow mapping, the same line) that
    /// holds the key followed by a colon; `first` itself if none is found.
    private static func duplicateMark(of key: String, after first: Mark, in text: String) -> (Int, Int) {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let patterns = ["\(key):", "\"\(key)\":", "'\(key)':", "\(key) :"]
        for (i, line) in lines.enumerated() where i + 1 >= first.line && !line.drop(while: { $0 == " " }).hasPrefix("#") {
            var searchFrom = line.startIndex
            if i + 1 == first.line {
                // Skip the first occurrence itself on its own line.
                let skip = min(line.count, first.column - 1 + key.count)
                searchFrom = line.index(line.startIndex, offsetBy: skip)
            }
            for p in patterns {
                var from = searchFrom
                while let r = line[from...].range(of: p) {
                    // A key starts a line or follows a blank, `{` or `,` (so `shuffle_seed:` is not `seed:`).
                    let before = r.lowerBound == line.startIndex ? " " : line[line.index(before: r.lowerBound)]
                    if before == " " || before == "{" || before == "," || before == "-" {
                        return (i + 1, line.distance(from: line.startIndex, to: r.lowerBound) + 1)
                    }
                    from = r.upperBound
                }
            }
        }
        return (first.line, first.column)
    }

    /// Runs `body`; a `ConfigError` it throws located only by field path (no file) gets the file, line and
    /// column of that path in `text`.
    static func locating<T>(in text: String, file: String, _ body: () throws -> T) throws -> T {
        do { return try body() } catch let e as ConfigError where e.file.isEmpty {
            var node = try? Yams.compose(yaml: text)
            for part in e.path.split(separator: ".") {
                var name = Substring(part), indices: [Int] = []
                while let open = name.lastIndex(of: "["), let i = Int(name[name.index(after: open)...].dropLast()) {
                    indices.insert(i, at: 0)
                    name = name[..<open]
                }
                if case let .mapping(m)? = node { node = m.first { $0.key.string == String(name) }?.value } else { node = nil }
                for i in indices {
                    if case let .sequence(s)? = node, i < s.count { node = s[i] } else { node = nil }
                }
            }
            throw ConfigError(file: file, line: node?.mark?.line ?? 0, column: node?.mark?.column ?? 0, path: e.path, message: e.message)
        }
    }

    /// Reads and parses a YAML file.
    static func load(_ url: URL) throws -> YAMLValue {
        let text: String
        do { text = try String(contentsOf: url, encoding: .utf8) } catch {
            throw ConfigError(file: url.path, line: 0, column: 0, path: "", message: "cannot read the file (\(error.localizedDescription))")
        }
        return try parse(text, file: url.path)
    }

    private static func line(of e: YamlError) -> Int {
        switch e {
        case let .scanner(_, _, mark, _), let .parser(_, _, mark, _), let .composer(_, _, mark, _): mark.line
        default: 0
        }
    }
    private static func column(of e: YamlError) -> Int {
        switch e {
        case let .scanner(_, _, mark, _), let .parser(_, _, mark, _), let .composer(_, _, mark, _): mark.column
        default: 0
        }
    }
    private static func summary(of e: YamlError) -> String {
        switch e {
        case let .scanner(context, problem, _, _): [context?.text, problem].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: ", ")
        case let .parser(context, problem, _, _): [context?.text, problem].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: ", ")
        case let .composer(context, problem, _, _): [context?.text, problem].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: ", ")
        default: "\(e)"
        }
    }

    /// An error located at this value.
    func error(_ message: String) -> ConfigError {
        ConfigError(file: file, line: node.mark?.line ?? 0, column: node.mark?.column ?? 0, path: path, message: message)
    }

    private var found: String {
        switch node {
        case let .scalar(s): s.string.isEmpty ? "an empty value" : "'\(s.string)'"
        case .mapping: "a mapping"
        case .sequence: "a list"
        case .alias: "an alias"
        }
    }

    private var isNull: Bool {
        if case let .scalar(s) = node { return s.style == .plain && ["", "~", "null", "Null", "NULL"].contains(s.string) }
        return false
    }

    /// The value as a mapping whose keys must all be in `allowed`.
    func mapping(allowed: [String]) throws -> YAMLMap {
        guard case let .mapping(m) = node else { throw error("expected a mapping with keys \(allowed.joined(separator: ", ")), found \(found)") }
        var entries: [(String, YAMLValue)] = []
        for (k, v) in m {
            guard case let .scalar(ks) = k else { throw YAMLValue(node: k, file: file, path: path).error("keys must be plain text") }
            let childPath = path.isEmpty ? ks.string : "\(path).\(ks.string)"
            guard allowed.contains(ks.string) else {
                throw YAMLValue(node: k, file: file, path: childPath).error("unknown field '\(ks.string)'; expected one of: \(allowed.joined(separator: ", "))")
            }
            if entries.contains(where: { $0.0 == ks.string }) {
                throw YAMLValue(node: k, file: file, path: childPath).error("field '\(ks.string)' appears twice")
            }
            entries.append((ks.string, YAMLValue(node: v, file: file, path: childPath)))
        }
        return YAMLMap(owner: self, entries: entries)
    }

    /// The value as a mapping from free-form names to values (registry tables).
    func table() throws -> [(String, YAMLValue)] {
        guard case let .mapping(m) = node else { throw error("expected a mapping of names to entries, found \(found)") }
        var out: [(String, YAMLValue)] = []
        for (k, v) in m {
            guard case let .scalar(ks) = k else { throw YAMLValue(node: k, file: file, path: path).error("names must be plain text") }
            let childPath = path.isEmpty ? ks.string : "\(path).\(ks.string)"
            if out.contains(where: { $0.0 == ks.string }) { throw YAMLValue(node: k, file: file, path: childPath).error("'\(ks.string)' appears twice") }
            out.append((ks.string, YAMLValue(node: v, file: file, path: childPath)))
        }
        return out
    }

    /// The value as a list.
    func list() throws -> [YAMLValue] {
        guard case let .sequence(s) = node else { throw error("expected a list, found \(found)") }
        return s.enumerated().map { YAMLValue(node: $1, file: file, path: "\(path)[\($0)]") }
    }

    /// A non-empty string (any scalar is read as its text: `name: no` is the string "no").
    func string() throws -> String {
        guard case let .scalar(s) = node, !isNull, !s.string.isEmpty else { throw error("expected text, found \(found)") }
        return s.string
    }

    /// An integer within `range`.
    func int(in range: ClosedRange<Int> = Int.min...Int.max) throws -> Int {
        if case let .scalar(s) = node, s.style != .plain, Int(s.string) != nil {
            throw error("expected a whole number, found the quoted text \"\(s.string)\"; write it without quotes")
        }
        guard case let .scalar(s) = node, s.style == .plain, let v = Int(s.string) else { throw error("expected a whole number, found \(found)") }
        guard range.contains(v) else { throw error("expected a whole number from \(range.lowerBound) to \(range.upperBound), found \(v)") }
        return v
    }

    /// A number within `range`.
    func double(in range: ClosedRange<Double>) throws -> Double {
        if case let .scalar(s) = node, s.style != .plain, Double(s.string) != nil {
            throw error("expected a number, found the quoted text \"\(s.string)\"; write it without quotes")
        }
        guard case let .scalar(s) = node, s.style == .plain, let v = Double(s.string), v.isFinite else { throw error("expected a number, found \(found)") }
        guard range.contains(v) else { throw error("expected a number from \(range.lowerBound) to \(range.upperBound), found \(s.string)") }
        return v
    }

    /// One of an enum's raw values; otherwise an error listing them all.
    func one<E: RawRepresentable & CaseIterable>(of _: E.Type) throws -> E where E.RawValue == String {
        guard let e = E(rawValue: try string()) else { throw error("expected one of \(E.allCases.map(\.rawValue).joined(separator: ", "))") }
        return e
    }

    /// `true` or `false`, unquoted.
    func bool() throws -> Bool {
        guard case let .scalar(s) = node, s.style == .plain, ["true", "false"].contains(s.string) else { throw error("expected true or false, found \(found)") }
        return s.string == "true"
    }

    /// An exact decimal written as text or a plain number (prices, budgets).
    func usd() throws -> USD {
        guard case let .scalar(s) = node, let v = USD(exactly: s.string) else {
            throw error("expected a non-negative decimal amount in USD such as \"0.50\", found \(found)")
        }
        return v
    }

    /// True when the value is YAML null or empty.
    var isAbsent: Bool { isNull }
}

/// A mapping whose keys were checked; hands out located children.
struct YAMLMap {
    let owner: YAMLValue
    let entries: [(String, YAMLValue)]

    /// A field that must be present and not null.
    func required(_ key: String) throws -> YAMLValue {
        guard let v = optional(key) else {
            throw owner.error("missing required field '\(key)'")
        }
        return v
    }

    /// A field that may be absent or null.
    func optional(_ key: String) -> YAMLValue? {
        guard let v = entries.first(where: { $0.0 == key })?.1, !v.isAbsent else { return nil }
        return v
    }
}
