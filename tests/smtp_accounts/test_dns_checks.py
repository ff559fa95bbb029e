"""Domain checks against a real DNS server on 127.0.0.1 serving test zones."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.dns import make_resolver
from smtp_accounts.dkim_signing import generate_private_key, public_key_record
from smtp_accounts.dns_checks import _spf_with, check_domain
from tests.servers.dns import txt, zone

# A public address only our test zones know; nothing here leaves the machine.
SMTP_IP = "45.33.32.156"
REVERSED = "156.32.33.45"
GOOD_DKIM = "v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAtest"


def healthy_zone(**overrides) -> str:
    records = {
        "mx": "@ MX 1 smtp.google.com.",
        "spf": '@ TXT "v=spf1 include:_spf.google.com ~all"',
        "dkim": f"google._domainkey TXT {txt(GOOD_DKIM)}",
        "dmarc": '_dmarc TXT "v=DMARC1; p=quarantine; rua=mailto:dmarc@acme.example"',
        "smtp": f"smtp A {SMTP_IP}",
    }
    records.update(overrides)
    return "\n".join(v for v in records.values() if v) + "\n"


def google_zone():
    return zone("_spf.google.com", '@ TXT "v=spf1 ip4:74.125.0.0/16 ~all"\n')


def by_key(report):
    return {f.key: f for f in report.findings}


def run(dns_server, zone_text, *extra_zones, **kwargs):
    dns_server.set_zones(zone("acme.example", zone_text), google_zone(), *extra_zones)
    kwargs.setdefault("provider_keys", ["google"])
    kwargs.setdefault("smtp_hosts", ["smtp.acme.example"])
    return check_domain("acme.example", **kwargs)


def test_a_healthy_domain_has_no_problem(dns_server):
    report = run(dns_server, healthy_zone())

    findings = by_key(report)
    assert report.level == "ok", [(f.key, f.level, f.title) for f in report.findings]
    assert findings["mx"].title == "Mail for acme.example is received by smtp.google.com"
    assert "1 of 10 DNS lookups" in findings["spf"].detail
    assert findings["dkim:google"].level == "ok"
    assert findings["dmarc"].title == "DMARC policy: quarantine"
    assert findings["blocklist"].title == "Not on any blocklist"
    assert "45.33.32.156 on Spamhaus ZEN" in findings["blocklist"].detail
    # Every blocklist was really asked, for the domain and for the SMTP host's address.
    asked = {name for name, _type in dns_server.queries}
    assert f"{REVERSED}.zen.spamhaus.org." in asked
    assert f"{REVERSED}.b.barracudacentral.org." in asked
    assert f"{REVERSED}.bl.spamcop.net." in asked
    assert "acme.example.dbl.spamhaus.org." in asked


def test_a_neglected_domain_gets_every_fix_with_the_exact_record(dns_server):
    report = run(
        dns_server,
        healthy_zone(mx="", spf='@ TXT "v=spf1 a mx +all"', dkim="", dmarc=""),
        zone("zen.spamhaus.org", f"{REVERSED} A 127.0.0.2\n"),
        zone("dbl.spamhaus.org", "acme.example A 127.0.1.2\n"),
        zone("bl.spamcop.net", ""),
    )
    findings = by_key(report)
    assert report.level == "error"

    mx = findings["mx"]
    assert (mx.level, mx.record_type, mx.record_name, mx.record_value) == (
        "error",
        "MX",
        "acme.example",
        "1 smtp.google.com.",
    )
    plus_all = findings["spf:all"]
    assert plus_all.level == "error"
    assert plus_all.record_value == "v=spf1 a mx ~all"
    assert findings["spf:include:_spf.google.com"].record_value == (
        "v=spf1 a mx include:_spf.google.com +all"
    )
    assert findings["dkim"].level == "error"
    assert "Google Admin console" in findings["dkim"].fix
    dmarc = findings["dmarc"]
    assert (dmarc.level, dmarc.record_name, dmarc.record_value) == (
        "error",
        "_dmarc.acme.example",
        "v=DMARC1; p=none; adkim=r; aspf=r",
    )
    zen = findings[f"blocklist:zen:{SMTP_IP}"]
    assert zen.level == "error" and "127.0.0.2" in zen.detail
    assert "https://check.spamhaus.org/" in zen.fix
    assert findings["blocklist:dbl:acme.example"].level == "error"
    clean = findings["blocklist"]
    assert clean.title == "Not listed on the other blocklists"
    assert "Spamhaus" not in clean.detail and f"{SMTP_IP} on SpamCop" in clean.detail


def test_spf_over_ten_lookups_is_an_error(dns_server):
    includes = " ".join(f"include:s{i}.acme.example" for i in range(11))
    extra = "".join(f's{i} TXT "v=spf1 -all"\n' for i in range(11))
    report = run(dns_server, healthy_zone(spf=f"@ TXT {txt(f'v=spf1 {includes} -all')}") + extra)

    spf = by_key(report)["spf"]
    assert spf.level == "error"
    assert spf.title == "SPF needs 11 DNS lookups; the limit is 10"


def test_broken_spf_syntax_names_the_bad_term(dns_server):
    report = run(dns_server, healthy_zone(spf='@ TXT "v=spf1 incude:_spf.google.com ~all"'))

    spf = by_key(report)["spf"]
    assert spf.level == "error"
    assert "incude is not a valid SPF mechanism" in spf.detail
    assert spf.record_value == "v=spf1 include:_spf.google.com ~all"


def test_a_provider_reached_through_the_domains_own_include_or_redirect_is_found(dns_server):
    # Companies often keep their senders in a record of their own and include or redirect to it.
    own = '_spf TXT "v=spf1 ip4:192.0.2.0/24 include:_spf.google.com ~all"\n'
    for spf in (
        '@ TXT "v=spf1 include:_spf.acme.example ~all"',
        '@ TXT "v=spf1 redirect=_spf.acme.example"',
        '@ TXT "v=spf1 +include:_spf.google.com ~all"',
        '@ TXT "v=spf1 INCLUDE:_SPF.Google.com ~all"',
    ):
        findings = by_key(run(dns_server, healthy_zone(spf=spf) + own))
        assert "spf:include:_spf.google.com" not in findings, spf
        assert findings["spf"].level == "ok", spf


def test_a_provider_include_that_does_not_authorise_is_still_missing(dns_server):
    # "-include:" fails the provider's servers; "?include:" asserts nothing about them.
    for spf in ('"v=spf1 -include:_spf.google.com ~all"', '"v=spf1 ?include:_spf.google.com ~all"'):
        findings = by_key(run(dns_server, healthy_zone(spf=f"@ TXT {spf}")))
        missing = findings["spf:include:_spf.google.com"]
        assert missing.record_value.split().count("include:_spf.google.com") == 1, spf


def google_nested_zones():
    """_spf.google.com as Google publishes it: three includes, so adding it costs 4 lookups."""
    nested = " ".join(f"include:_netblocks{n}.google.com" for n in ("", "2", "3"))
    return zone(
        "google.com",
        f'_spf TXT "v=spf1 {nested} ~all"\n'
        + "".join(f'_netblocks{n} TXT "v=spf1 ip4:74.125.0.0/16 ~all"\n' for n in ("", "2", "3")),
    )


def with_includes(dns_server, n: int) -> tuple[str, dict]:
    """SPF with n includes of the domain's own (one lookup each) and Google's not among them:
    (the includes, the findings)."""
    includes = " ".join(f"include:s{i}.acme.example" for i in range(n))
    extra = "".join(f's{i} TXT "v=spf1 -all"\n' for i in range(n))
    spf = f"@ TXT {txt(f'v=spf1 {includes} ~all')}"
    dns_server.set_zones(zone("acme.example", healthy_zone(spf=spf) + extra), google_nested_zones())
    findings = by_key(
        check_domain("acme.example", provider_keys=["google"], smtp_hosts=["smtp.acme.example"])
    )
    return includes, findings


def test_adding_the_provider_is_not_offered_when_it_would_break_the_lookup_limit(dns_server):
    _includes, findings = with_includes(dns_server, 7)

    assert "7 of 10 DNS lookups" in findings["spf"].detail
    missing = findings["spf:include:_spf.google.com"]
    assert missing.level == "warning"
    assert missing.record_value == ""  # publishing it would break SPF for every sender
    assert "11 DNS lookups" in missing.detail and "4 of them" in missing.detail


def test_adding_the_provider_within_the_limit_is_offered(dns_server):
    includes, findings = with_includes(dns_server, 6)

    missing = findings["spf:include:_spf.google.com"]
    assert missing.level == "warning"
    assert missing.record_value == f"v=spf1 {includes} include:_spf.google.com ~all"
    assert "10 of 10 DNS lookups" in missing.detail


def test_missing_provider_include_is_added_before_all_and_modifiers():
    assert _spf_with("v=spf1 mx -all", include="_spf.google.com") == (
        "v=spf1 mx include:_spf.google.com -all"
    )
    assert _spf_with("v=spf1 a redirect=_spf.other.example", include="x.example") == (
        "v=spf1 a include:x.example redirect=_spf.other.example"
    )
    assert _spf_with("v=spf1 include:x.example ~all", include="X.example") == (
        "v=spf1 include:x.example ~all"
    )
    assert _spf_with("v=spf1 +all", all_qualifier="~all") == "v=spf1 ~all"


DOMAINS = st.sampled_from(["_spf.google.com", "x.example", "mail.acme.example", "X.Example"])
QUALIFIERS = st.sampled_from(["", "+", "-", "~", "?"])
MECHANISMS = st.one_of(
    st.sampled_from(["a", "mx", "ip4:192.0.2.1", "ip6:2001:db8::/32", "ptr"]),
    DOMAINS.map(lambda d: f"include:{d}"),
    DOMAINS.map(lambda d: f"exists:{d}"),
)
MODIFIERS = st.one_of(DOMAINS.map(lambda d: f"redirect={d}"), DOMAINS.map(lambda d: f"exp={d}"))


def authorising(terms: list[str], include: str) -> int:
    return sum(t.lower().lstrip("+") == f"include:{include.lower()}" for t in terms)


@given(
    mechanisms=st.lists(st.tuples(QUALIFIERS, MECHANISMS).map("".join), max_size=6),
    modifiers=st.lists(MODIFIERS, max_size=2, unique_by=lambda m: m.partition("=")[0]),
    final=st.sampled_from(["", "-all", "~all", "?all", "+all", "all", "-ALL"]),
    include=st.sampled_from(["_spf.google.com", "x.example"]),
    all_qualifier=st.sampled_from(["", "~all"]),
)
def test_the_suggested_spf_record_keeps_every_sender_and_authorises_the_provider_once(
    mechanisms, modifiers, final, include, all_qualifier
):
    record = " ".join(["v=spf1", *mechanisms, *modifiers, *([final] if final else [])])
    suggested = _spf_with(record, include=include, all_qualifier=all_qualifier)
    terms = suggested.split()

    assert terms[0] == "v=spf1"
    kept = [t for t in terms[1:] if t != f"include:{include}" or authorising(mechanisms, include)]
    # Everything the record said stays, in its order; only the `all` may be replaced.
    assert [t for t in kept if t.lstrip("+-~?").lower() != "all"] == mechanisms + modifiers
    wanted_all = all_qualifier or final
    assert [t for t in terms if t.lstrip("+-~?").lower() == "all"] == (
        [wanted_all] if wanted_all else []
    )
    if wanted_all:
        assert terms[-1] == wanted_all
    # The provider is authorised exactly once, before any modifier (redirect= applies only
    # when no mechanism matched; the include must be evaluated first).
    assert authorising(terms, include) == max(1, authorising(mechanisms, include))
    first_modifier = next((n for n, t in enumerate(terms) if n and "=" in t), len(terms))
    assert any(
        t.lower().lstrip("+") == f"include:{include.lower()}" for t in terms[:first_modifier]
    )
    assert _spf_with(suggested, include=include) == suggested


def test_dmarc_none_is_a_warning_with_the_stricter_record(dns_server):
    report = run(dns_server, healthy_zone(dmarc='_dmarc TXT "v=DMARC1; p=none"'))

    dmarc = by_key(report)["dmarc"]
    assert dmarc.level == "warning"
    assert dmarc.record_value == "v=DMARC1; p=quarantine"


def test_dmarc_without_dkim_warns_about_alignment(dns_server):
    report = run(dns_server, healthy_zone(dkim=""), selectors=[])

    findings = by_key(report)
    assert findings["dkim"].level == "error"
    assert findings["dmarc:alignment"].level == "warning"


def test_user_named_selector_is_looked_up(dns_server):
    report = run(
        dns_server,
        healthy_zone(dkim=f"mx2024._domainkey TXT {txt(GOOD_DKIM)}"),
        selectors=["MX2024"],
    )
    assert report.dkim_published == {"mx2024": GOOD_DKIM.rpartition("p=")[2]}
    assert by_key(report)["dkim:mx2024"].level == "ok"


class Key:
    selector = "postigo"
    verified_at = None

    def __init__(self):
        self.record_value = public_key_record(generate_private_key())
        self.public_key = self.record_value.rpartition("p=")[2]


def test_postigo_key_published_matching_mismatching_and_missing(dns_server):
    key = Key()
    ours = run(
        dns_server,
        healthy_zone(dkim=f"postigo._domainkey TXT {txt(key.record_value)}"),
        own_keys=[key],
    )
    assert by_key(ours)["dkim:postigo"].level == "ok"

    other = Key()
    wrong = run(
        dns_server,
        healthy_zone(dkim=f"postigo._domainkey TXT {txt(other.record_value)}"),
        own_keys=[key],
    )
    finding = by_key(wrong)["dkim:postigo"]
    assert finding.level == "error"
    assert finding.record_value == key.record_value
    assert finding.record_name == "postigo._domainkey.acme.example"

    missing = run(dns_server, healthy_zone(), own_keys=[key])
    assert by_key(missing)["dkim:postigo"].level == "warning"  # never verified: not yet


def test_blocklist_refusing_public_resolvers_is_not_a_listing(dns_server):
    report = run(
        dns_server, healthy_zone(), zone("zen.spamhaus.org", f"{REVERSED} A 127.255.255.254\n")
    )
    zen = by_key(report)[f"blocklist:zen:{SMTP_IP}"]
    assert zen.level == "warning"
    assert "DNS_NAMESERVERS" in zen.fix


@pytest.mark.parametrize("host", ["127.0.0.1", "10.1.2.3", "localhost.acme.example"])
def test_private_smtp_addresses_are_not_sent_to_blocklists(dns_server, host):
    run(dns_server, healthy_zone() + "localhost A 127.0.0.1\n", smtp_hosts=[host])
    assert not any(name.endswith(".zen.spamhaus.org.") for name, _t in dns_server.queries)


def test_an_unreachable_dns_server_gives_warnings_not_a_crash(settings):
    # The autouse fixture points DNS at a loopback port nobody answers on.
    report = check_domain("acme.example", provider_keys=["google"], smtp_hosts=["smtp.x.test"])

    assert report.level == "warning"
    [finding] = report.findings  # one notice, not a timeout per lookup
    assert finding.transient and finding.title == "Could not check the MX records"


def test_the_resolver_uses_the_configured_servers(settings):
    settings.DNS_NAMESERVERS = ["127.0.0.1:5353", "[::1]:53", "192.0.2.53"]
    settings.DNS_TIMEOUT = 3
    resolver = make_resolver()
    assert [(ns.address, ns.port) for ns in resolver.nameservers] == [
        ("127.0.0.1", 5353),
        ("::1", 53),
        ("192.0.2.53", 53),
    ]
    assert resolver.lifetime == 3
