import Foundation

/// Operating-system failures in words a researcher can act on.
enum SystemError {
    /// The reason behind a Foundation file error ("No space left on device", "Permission denied"),
    /// instead of its `NSCocoaErrorDomain Code=…` form.
    static func words(_ error: any Error) -> String {
        let ns = error as NSError
        if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(underlying.code)))
        }
        if ns.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(ns.code))) }
        if let path = ns.userInfo[NSFilePathErrorKey] as? String {
            switch CocoaError.Code(rawValue: ns.code) {
            case .fileWriteOutOfSpace: return "no space left on the device holding \(path)"
            case .fileWriteNoPermission, .fileReadNoPermission: return "permission denied for \(path)"
            case .fileWriteFileExists: return "\(path) already exists"
            case .fileNoSuchFile, .fileReadNoSuchFile: return "\(path) does not exist"
            case .fileWriteVolumeReadOnly: return "\(path) is on a read-only file system"
            default: return "\(ns.localizedDescription) (\(path))"
            }
        }
        return ns.localizedDescription
    }
}
