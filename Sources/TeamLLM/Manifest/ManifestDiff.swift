import Foundation

extension Manifest {
    /// Field paths whose values differ between two manifests, e.g. `sampling.temperature`.
    public func differences(from other: Manifest) throws -> [String] {
        let a = try JSONSerialization.jsonObject(with: CanonicalJSON.encode(self))
        let b = try JSONSerialization.jsonObject(with: CanonicalJSON.encode(other))
        var out: [String] = []
        Self.diff(a, b, path: "", into: &out)
        return out
    }

    private static func diff(_ a: Any?, _ b: Any?, path: String, into out: inout [String]) {
        switch (a, b) {
        case let (x as [String: Any], y as [String: Any]):
            for key in Set(x.keys).union(y.keys).sorted() {
                diff(x[key], y[key], path: path.isEmpty ? key : "\(path).\(key)", into: &out)
            }
        case let (x as [Any], y as [Any]) where x.count == y.count:
            for i in x.indices { diff(x[i], y[i], path: "\(path)[\(i)]", into: &out) }
        default:
            let same: Bool
            if let x = a as? NSObject, let y = b as? NSObject { same = x.isEqual(y) } else { same = a == nil && b == nil }
            if !same { out.append(path) }
        }
    }
}
