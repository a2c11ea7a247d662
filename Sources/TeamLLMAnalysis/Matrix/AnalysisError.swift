/// Why an analysis could not be made: every case names the file, line, column or option at fault.
public enum AnalysisError: Error, Equatable, CustomStringConvertible {
    /// A matrix CSV that is not `item` then one 0/1 column per model.
    case malformedMatrix(file: String, line: Int, column: Int?, reason: String)
    /// The run has several benchmarks and none was chosen, or the one chosen is not in it.
    case benchmark(String)
    /// A model asked for is not in the matrix.
    case unknownModel(String, known: [String])
    /// Too few models or items left to analyse.
    case tooSmall(String)
    /// A bad option value.
    case option(String)

    public var description: String {
        switch self {
        case let .malformedMatrix(file, line, column, reason):
            return "\(file):\(line)\(column.map { ", column \($0)" } ?? ""): \(reason)"
        case let .benchmark(s): return s
        case let .unknownModel(m, known): return "model '\(m)' is not in the matrix (models: \(known.joined(separator: ", ")))"
        case let .tooSmall(s): return s
        case let .option(s): return s
        }
    }
}
