import Foundation
import GRDB

/// Who is paying for a request right now, so that two processes sharing a cache never both pay for it.
///
/// The rule: before a paid call, a process claims its request key in the cache's `claims` table, in one
/// transaction with a check that no response is stored for it. A key claimed by another live process is
/// waited for (its response will be a cache hit), not paid again. A claim is released when the call ends
/// (stored, failed or cancelled) and when the process exits; a claim whose process is gone (same host,
/// `kill(pid, 0)` says no such process) or whose lease ran out is taken over. Leases are renewed at every
/// group commit, so only a process that stopped committing loses its claims.
public struct ClaimOwner: Sendable, Equatable {
    /// `<run id>:<pid>@<host>`.
    public let id: String
    public let host: String
    public let pid: Int32

    /// The owner for this process writing `run`.
    public static func current(run: String) -> ClaimOwner {
        // gethostname, not ProcessInfo.hostName: that one may ask DNS for a canonical name, slowly or differently per process.
        var buffer = [CChar](repeating: 0, count: 256)
        let host = gethostname(&buffer, buffer.count) == 0 ? String(cString: buffer) : "unknown-host"
        return ClaimOwner(id: "\(run):\(getpid())@\(host)", host: host, pid: getpid())
    }
}

/// How a claim on one request key went.
public enum ClaimOutcome: Sendable, Equatable {
    /// This process may call.
    case claimed
    /// This process may call; the claim was taken over from a process that is gone or whose lease ran out,
    /// which may have stored the response in a pack without indexing it: walk the packs before calling.
    case takenOver(from: String)
    /// A response is already stored: use it.
    case stored
    /// Another live process is calling; wait for it.
    case heldBy(String)

    /// True when this process may call.
    public var mayCall: Bool {
        switch self {
        case .claimed, .takenOver: true
        case .stored, .heldBy: false
        }
    }
}

extension ResponseCache {
    /// How long a claim lasts without renewal.
    public static let claimLease: TimeInterval = 600

    /// Claims request keys for `owner`, in one transaction.
    public func claim(_ keys: [String], owner: ClaimOwner, now: Date = Date()) throws -> [String: ClaimOutcome] {
        guard !keys.isEmpty else { return [:] }
        do { return try db.write { db in try Self.claim(keys, owner: owner, now: now, db) } } catch let e as DatabaseError {
            throw CacheError.database(e.message ?? "\(e)")
        }
    }

    /// `claim`, without holding a cooperative thread while SQLite waits for another process's lock.
    public func claimOffPool(_ keys: [String], owner: ClaimOwner) async throws -> [String: ClaimOutcome] {
        guard !keys.isEmpty else { return [:] }
        let now = Date()
        return try await Task.detached {
            do { return try await self.db.write { db in try Self.claim(keys, owner: owner, now: now, db) } } catch let e as DatabaseError {
                throw CacheError.database(e.message ?? "\(e)")
            }
        }.value
    }

    private static func claim(_ keys: [String], owner: ClaimOwner, now: Date, _ db: Database) throws -> [String: ClaimOutcome] {
        let stored = try db.cachedStatement(sql: "SELECT 1 FROM responses WHERE request_key = ?")
        let holder = try db.cachedStatement(sql: "SELECT owner, host, pid, expires FROM claims WHERE request_key = ?")
        let put = try db.cachedStatement(sql: "INSERT OR REPLACE INTO claims (request_key, owner, host, pid, expires) VALUES (?, ?, ?, ?, ?)")
        var out: [String: ClaimOutcome] = [:]
        let expires = now.timeIntervalSince1970 + Self.claimLease
        for key in keys {
            if try Bool.fetchOne(stored, arguments: [key]) == true { out[key] = .stored; continue }
            if let row = try Row.fetchOne(holder, arguments: [key]) {
                let other: String = row["owner"], host: String = row["host"], pid: Int32 = row["pid"], until: Double = row["expires"]
                let gone = host == owner.host && kill(pid, 0) != 0 && errno == ESRCH
                if other != owner.id && until > now.timeIntervalSince1970 && !gone { out[key] = .heldBy(other); continue }
                try put.execute(arguments: [key, owner.id, owner.host, owner.pid, expires])
                out[key] = other == owner.id ? .claimed : .takenOver(from: other)
                continue
            }
            try put.execute(arguments: [key, owner.id, owner.host, owner.pid, expires])
            out[key] = .claimed
        }
        return out
    }

    /// `release` of some keys, without holding a cooperative thread.
    public func releaseOffPool(_ keys: [String], owner: ClaimOwner) async throws {
        guard !keys.isEmpty else { return }
        // Detached: a cancelled sweep still releases what it claimed.
        try await Task.detached {
            do { try await self.db.write { db in try Self.release(keys, owner: owner, db) } } catch let e as DatabaseError {
                throw CacheError.database(e.message ?? "\(e)")
            }
        }.value
    }

    /// Releases `owner`'s claims on these keys (all of its claims when `keys` is nil).
    public func release(_ keys: [String]? = nil, owner: ClaimOwner) throws {
        do { try db.write { db in try Self.release(keys, owner: owner, db) } } catch let e as DatabaseError {
            throw CacheError.database(e.message ?? "\(e)")
        }
    }

    private static func release(_ keys: [String]?, owner: ClaimOwner, _ db: Database) throws {
        if let keys {
            let delete = try db.cachedStatement(sql: "DELETE FROM claims WHERE request_key = ? AND owner = ?")
            for key in keys { try delete.execute(arguments: [key, owner.id]) }
        } else {
            try db.execute(sql: "DELETE FROM claims WHERE owner = ?", arguments: [owner.id])
        }
    }

    /// Extends every claim `owner` holds by a lease from now.
    public func renewClaims(owner: ClaimOwner, now: Date = Date()) throws {
        do {
            try db.write { db in
                try db.execute(sql: "UPDATE claims SET expires = ? WHERE owner = ?", arguments: [now.timeIntervalSince1970 + Self.claimLease, owner.id])
            }
        } catch let e as DatabaseError { throw CacheError.database(e.message ?? "\(e)") }
    }
}
