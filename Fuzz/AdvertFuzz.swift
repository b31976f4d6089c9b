// libFuzzer entry point for the VRRP advertisement decoder and the receive checks.
// Built by Fuzz/run-advert.sh together with the VRRP sources (one module, over VigilTypes).
//
// The input is a whole IPv4 packet, as the raw socket delivers it, or (first nibble 6) an
// IPv6 header and payload: an IPv6 raw socket delivers only the payload, with the hop
// limit and the addresses beside it, which the header's fields stand for here. Properties:
//  (a) decoding never traps, and gives the same answer whatever the slice's start index;
//  (b) an advertisement that decodes re-encodes to the same payload (but for what the value
//      does not carry, below) and decodes back to an equal value;
//  (c) fed to a VRRPv2 PASS router and a VRRPv3 router (preempt_delay 2 s), each as backup
//      and as master, a rejection changes nothing and an accepted packet does what RFC 3768
//      §6.4.2/§6.4.3 says. Dispatch by VRID is the daemon's, so every packet reaches all four.

import VigilTypes

/// `precondition` says nothing in an -O build; this names the broken property.
func require(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError(message()) }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzAdvertisement(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if size >= 40, bytes[0] >> 4 == 6 { return fuzzIPv6(bytes) }
    let result = decodePacket(bytes[...])
    // A slice that does not start at 0 must read the same (no absolute indexing).
    let shifted = ([0xa5] + bytes)[1...]
    require(decodePacket(shifted) == result, "decode depends on the slice's start index")
    switch result {
    case let .failure(rejection):
        require(!rejection.reason.isEmpty && !rejection.description.isEmpty, "rejection without a reason")
        require(!receiveOnlyReasons.contains(rejection.reason), "decode threw a receive-check rejection: \(rejection)")
        return 0
    case let .success(packet):
        checkRoundTrip(packet, ipPacket: bytes)
        // The IP identification (bytes 4–5, read by nothing) picks the moment of arrival.
        let delay = Int64(Int(bytes[4]) << 8 | Int(bytes[5])) * 40  // 0 … 2.6 s
        for fixture in fixtures {
            exercise(fixture, packet, at: fixture.ready + delay)
        }
        return 0
    }
}

/// IPv6: decode never traps and is slice-independent; what decodes round-trips; a v3
/// IPv6 router as backup and as master treats it by the RFC.
func fuzzIPv6(_ bytes: [UInt8]) -> CInt {
    let source = IPv6Address(bytes: bytes[8..<24])
    let destination = IPv6Address(bytes: bytes[24..<40])
    func decode(_ payload: ArraySlice<UInt8>) -> Result<ReceivedAdvertisement, Rejection> {
        do {
            return .success(try ReceivedAdvertisement.decode(ipv6Payload: payload, source: source,
                                                             destination: destination, hopLimit: bytes[7]))
        } catch { return .failure(error) }
    }
    let result = decode(bytes[40...])
    require(decode((([0xa5] + bytes)[41...])) == result, "IPv6 decode depends on the slice's start index")
    guard case let .success(packet) = result else { return 0 }
    let advert = packet.advertisement
    require(advert.version == .v3, "IPv6 decoded a VRRPv2 advertisement")
    require(advert.addresses.allSatisfy(\.isIPv6), "IPv6 advertisement with IPv4 addresses")
    let payload = advert.encode(source: packet.source, destination: packet.destination)
    do {
        var value = advert
        if value.advertisementInterval == 0 { value.advertisementInterval = 10_000 }
        let back = try Advertisement.decode(payload[...], source: packet.source, destination: packet.destination)
        require(back == value, "IPv6 round trip changed the advertisement: \(advert) → \(back)")
    } catch {
        fatalError("the re-encoded IPv6 advertisement \(hexString(payload)) does not decode: \(error)")
    }
    let delay = Int64(Int(bytes[4]) << 8 | Int(bytes[5])) * 40
    for fixture in fixtures6 { exercise(fixture, packet, at: fixture.ready + delay) }
    return 0
}

let fixtures6: [Fixture] = {
    let link = InternetAddress.v6(IPv6Address(0xfe80, 0, 0, 0, 0, 0, 0, 0x12))
    let c = VirtualRouter.Configuration(
        name: "v3-ipv6", version: .v3, virtualRouterID: 51, priority: 100, advertisementInterval: 100_000,
        virtualAddresses: [.v6(IPv6Address(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0x100))], primaryAddress: link)
    var backup = VirtualRouter(c)
    _ = backup.start(at: origin)
    var master = backup
    let down = origin + master.timers.masterDownInterval
    _ = master.advance(to: down)
    require(master.state == .master, "v3-ipv6 did not take over")
    return [Fixture(name: "v3-ipv6/backup", router: backup, ready: origin), Fixture(name: "v3-ipv6/master", router: master, ready: down)]
}()

func decodePacket(_ bytes: ArraySlice<UInt8>) -> Result<ReceivedAdvertisement, Rejection> {
    do {
        return .success(try ReceivedAdvertisement.decode(ipPacket: bytes))
    } catch {
        return .failure(error)
    }
}

/// The reasons only `VirtualRouter.receive` may give (they need an instance's configuration).
let receiveOnlyReasons: Set<String> = ["own_advert", "ttl", "auth_password", "advert_interval", "address_list",
                                       "unknown_vrid"]
/// What `receive` may throw: those, a version other than the instance's, an
/// authentication type other than its own (decode itself throws `version` and `auth_type`
/// only for values no VRRP defines), and a VRRPv3 IPv4 checksum the decoder accepted under
/// one pseudo-header reading that this instance's `V3ChecksumPolicy` does not take.
let receiveCheckReasons = receiveOnlyReasons.union(["version", "auth_type", "checksum"])

// MARK: - (b) Encode ∘ decode

/// What the value does not carry, and so legitimately does not round-trip:
///  - the checksum (v3 accepts three pseudo-header variants; re-encoding uses the packet's
///    destination), compared only through the decode that must accept it;
///  - v2 Authentication Data unless the type is PASS (type 0 and IPsec AH keep no data: zeros);
///  - the v3 reserved bits (ignored on receipt, RFC 5798 §5.2.5);
///  - an interval of 0: decoded as 0 (keepalived adopts it as is), but `encode` never sends
///    0 and clamps to the field's unit (1 s for v2, 1 cs for v3).
func checkRoundTrip(_ packet: ReceivedAdvertisement, ipPacket bytes: [UInt8]) {
    let advert = packet.advertisement
    let ihl = Int(bytes[0] & 0x0f) * 4
    let original = Array(bytes[ihl...])
    let payload = advert.encode(source: packet.source, destination: packet.destination)

    var expected = original
    switch advert.version {
    case .v2:
        if expected[5] == 0 { expected[5] = 1 }
        if expected[4] != 1 {
            for i in (expected.count - Advertisement.authenticationLength)..<expected.count { expected[i] = 0 }
        }
    case .v3:
        expected[4] &= 0x0f
        if expected[4] == 0, expected[5] == 0 { expected[5] = 1 }
    }
    expected[6] = payload[6]
    expected[7] = payload[7]
    require(payload == expected, "re-encoding changed the payload: \(hexString(original)) → \(hexString(payload))")

    var value = advert
    if value.advertisementInterval == 0 {
        value.advertisementInterval = advert.version == .v2 ? 1_000_000 : 10_000
    }
    do {
        let back = try Advertisement.decode(payload[...], source: packet.source, destination: packet.destination)
        require(back == value, "round trip changed the advertisement: \(advert) → \(back)")
        // keepalived's unicast compatibility: a checksum over the group as destination.
        let viaGroup = advert.encode(source: packet.source, destination: packet.source.vrrpMulticastGroup)
        let again = try Advertisement.decode(viaGroup[...], source: packet.source, destination: packet.destination)
        require(again == value, "group-checksum round trip changed the advertisement: \(advert) → \(again)")
    } catch {
        fatalError("the re-encoded advertisement \(hexString(payload)) does not decode: \(error)")
    }
}

func hexString(_ bytes: [UInt8]) -> String {
    let digits = Array("0123456789abcdef")
    return String(bytes.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 0x0f)]] })
}

// MARK: - (c) Receive

struct Fixture: Sendable {
    var name: String
    var router: VirtualRouter
    /// When the router reached its state: packets arrive from then on.
    var ready: Instant
}

let primaryAddress = InternetAddress.v4(IPv4Address(192, 0, 2, 12))
let virtualAddresses: [InternetAddress] = [.v4(IPv4Address(192, 0, 2, 100)), .v4(IPv4Address(192, 0, 2, 101))]
let origin = Instant(microseconds: 1_000_000_000)

/// Built once: each input starts from copies (the router is a value).
let fixtures: [Fixture] = {
    let v2 = VirtualRouter.Configuration(
        name: "v2-pass", version: .v2, virtualRouterID: 51, priority: 100, advertisementInterval: 1_000_000,
        authentication: .simple(password: Array("secret".utf8)), virtualAddresses: virtualAddresses,
        primaryAddress: primaryAddress)
    let v3 = VirtualRouter.Configuration(
        name: "v3-delay", version: .v3, virtualRouterID: 51, priority: 150, advertisementInterval: 1_000_000,
        preemptDelay: 2_000_000, virtualAddresses: virtualAddresses, primaryAddress: primaryAddress)
    var fixtures: [Fixture] = []
    for configuration in [v2, v3] {
        var backup = VirtualRouter(configuration)
        _ = backup.start(at: origin)
        require(backup.state == .backup, "\(configuration.name) did not start as backup")
        var master = backup
        let down = origin + master.timers.masterDownInterval
        _ = master.advance(to: down)
        require(master.state == .master, "\(configuration.name) did not take over after Master_Down_Interval")
        fixtures.append(Fixture(name: configuration.name + "/backup", router: backup, ready: origin))
        fixtures.append(Fixture(name: configuration.name + "/master", router: master, ready: down))
    }
    return fixtures
}()

/// The packet at `at`, then (if accepted) the router's next timer and the same packet again.
func exercise(_ fixture: Fixture, _ packet: ReceivedAdvertisement, at: Instant) {
    var router = fixture.router
    _ = router.advance(to: at)  // the daemon fires due timers before it reads the socket
    var now = at
    for _ in 0..<2 {
        let before = router
        do {
            let actions = try router.receive(packet, at: now)
            checkAccepted(fixture.name, before: before, after: router, packet, actions, at: now)
        } catch {
            require(receiveCheckReasons.contains(error.reason), "\(fixture.name): receive threw \(error)")
            checkUnchanged(fixture.name, before: before, after: router, error)
            return
        }
        guard let next = router.nextDeadline else { return }
        now = max(now, next)
        let state = router.state
        for action in router.advance(to: now) {
            if case let .transition(from, to, _) = action {
                require(from == state && to == router.state, "\(fixture.name): transition \(from)→\(to) but \(state)→\(router.state)")
            }
        }
    }
}

/// A rejection changes nothing: not what is visible, and not the hidden timers either (the
/// next timer step of both copies is the same).
func checkUnchanged(_ name: String, before: VirtualRouter, after: VirtualRouter, _ rejection: Rejection) {
    func same(_ a: VirtualRouter, _ b: VirtualRouter) -> Bool {
        a.state == b.state && a.masterAdvertisementInterval == b.masterAdvertisementInterval
            && a.masterAddress == b.masterAddress && a.masterPriority == b.masterPriority
            && a.nextDeadline == b.nextDeadline && a.timers == b.timers
    }
    require(same(before, after), "\(name): rejection \(rejection) changed the router")
    guard let deadline = before.nextDeadline else { return }
    var x = before, y = after
    require(x.advance(to: deadline) == y.advance(to: deadline) && same(x, y),
            "\(name): rejection \(rejection) changed a hidden timer")
}

/// Restates RFC 3768 §7.1 (what may be accepted) and §6.4.2/§6.4.3 (what it does).
func checkAccepted(_ name: String, before: VirtualRouter, after: VirtualRouter, _ packet: ReceivedAdvertisement,
                   _ actions: [Action], at now: Instant) {
    let c = before.configuration
    let advert = packet.advertisement
    let context = "\(name) in \(before.state) accepted \(advert) from \(packet.source)"
    require(packet.source != c.primaryAddress && packet.ttl == Advertisement.ttl && advert.version == c.version,
            "\(context): source, TTL or version not checked")
    if c.version == .v2 {
        require(advert.authentication.type == c.authentication.type && advert.authentication.data == c.authentication.data
                    && advert.advertisementInterval == c.advertisementInterval,
                "\(context): v2 authentication or interval not checked")
    }
    if advert.priority != 0 {
        require(Set(advert.addresses) == Set(c.virtualAddresses) && advert.addresses.count == c.virtualAddresses.count,
                "\(context): address list not checked")
    }
    let own = c.priority
    // RFC 5798 §6.4.2's adopted interval, floored at a tenth of our own and at 1 cs, so a
    // spoofed tiny interval cannot shrink Master_Down_Interval to nothing.
    let adopted = max(advert.advertisementInterval, c.advertisementInterval / 10, 10_000)
    switch before.state {
    case .backup:
        require(after.state == .backup && actions.isEmpty, "\(context): a backup moves only on its timer: \(actions)")
        if advert.priority == 0 {
            require(after.nextDeadline == now + after.timers.skewTime, "\(context): priority 0 must leave Skew_Time")
            return
        }
        let honoured = after.masterAddress == packet.source && after.masterPriority == advert.priority
            && after.nextDeadline == now + after.timers.masterDownInterval
            && (c.version == .v2 || after.masterAdvertisementInterval == adopted)
        let ignored = after.masterAddress == before.masterAddress && after.masterPriority == before.masterPriority
            && after.nextDeadline == before.nextDeadline
            && after.masterAdvertisementInterval == before.masterAdvertisementInterval
        if advert.priority >= own || !c.preempt {
            require(honoured, "\(context): an advertisement that may not be preempted must restart Master_Down_Timer")
        } else if c.preemptDelay == 0 {
            require(ignored, "\(context): a lower priority must be ignored so that we preempt")
        } else {
            require(honoured || ignored, "\(context): a lower priority is either honoured (preempt_delay) or ignored")
        }
    case .master:
        if advert.priority > own || (advert.priority == own && packet.source > c.primaryAddress) {
            require(after.state == .backup, "\(context): must step down")
            // Make-before-break: the new master is heard, so the VIPs go once it has
            // announced them too (none is heard here: at most announcementWait), not with
            // the transition.
            guard actions.count == 1, case .transition(from: .master, to: .backup, _) = actions[0] else {
                fatalError("\(context): stepping down did \(actions)")
            }
            require(after.isHandingOver && after.releaseTimer == now + VirtualRouter.announcementWait
                        && after.nextDeadline == min(now + VirtualRouter.announcementWait, now + after.timers.masterDownInterval),
                    "\(context): the VIPs must be held for the successor's announcement, then go")
            require(after.masterAddress == packet.source && after.masterPriority == advert.priority
                        && after.timers.masterDownInterval > VirtualRouter.handoverOverlap,
                    "\(context): the new master is not recorded")
            if c.version == .v3 {
                require(after.masterAdvertisementInterval == adopted,
                        "\(context): v3 must adopt the master's interval (floored)")
            }
        } else {
            require(after.state == .master && actions == [.sendAdvertisement(after.advertisement())],
                    "\(context): a master answers a lower or leaving one with an advertisement: \(actions)")
        }
    case .initialize, .fault:
        fatalError("\(context): fixture in \(before.state)")
    }
}
