import DocketCore
import HummingbirdBcrypt
import NIOPosix

/// bcrypt (hummingbird-auth's HummingbirdBcrypt) on NIO's blocking thread pool: a hash takes
/// ~250 ms at cost 12 and must not hold an event loop or the cooperative pool.
struct BcryptHasher: PasswordHasher {
    let cost: UInt8
    let decoyHash: String

    init(cost: Int) {
        self.cost = UInt8(cost)
        decoyHash = Bcrypt.hash(IdentifierGenerator.make() + IdentifierGenerator.make(), cost: UInt8(cost))
    }

    func hash(_ password: String) async throws -> String {
        let cost = cost
        return try await NIOThreadPool.singleton.runIfActive { Bcrypt.hash(password, cost: cost) }
    }

    func verify(_ password: String, hash: String) async throws -> Bool {
        try await NIOThreadPool.singleton.runIfActive { Bcrypt.verify(password, hash: hash) }
    }
}
