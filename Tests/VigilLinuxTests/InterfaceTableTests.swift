import Testing
@testable import VigilLinux

/// Reads the real kernel's interface table over rtnetlink (libnl-route-3): needs no
/// privilege, and every Linux network namespace has a loopback interface.
@Suite struct InterfaceTableTests {
    @Test func loopbackIsListedWithItsAddress() throws {
        let table = try InterfaceTable.read()
        let lo = try #require(table.interfaces["lo"])
        #expect(lo.index > 0)
        if lo.isUp {
            #expect(lo.addresses.contains([127, 0, 0, 1]))
        }
    }

    @Test func netlinkErrorsNameTheOperation() {
        let error = NetlinkError("reading links", code: 1)
        #expect(error.description.hasPrefix("reading links: "))
    }
}
