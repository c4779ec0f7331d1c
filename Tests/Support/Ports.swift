import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A port nobody listens on or holds now, chosen by the kernel (bind to port 0, then let go):
/// a random pick could land on another test's server, or on a port a client connection holds.
public func freePort() -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { Glibc.close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
    }
    precondition(bound, "the kernel gave no free port: \(String(cString: strerror(errno)))")
    return Int(UInt16(bigEndian: address.sin_port))
}

