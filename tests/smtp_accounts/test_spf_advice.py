"""Domain health never offers an SPF record that authorises no sender."""

import pytest

from smtp_accounts.dns_checks import check_domain
from tests.servers.dns import zone

pytestmark = pytest.mark.django_db

NO_SPF = '@ MX 1 mx.acme.example.\n_dmarc TXT "v=DMARC1; p=none"\n'


def spf_finding(dns_server, zone_text, provider_keys):
    dns_server.set_zones(
        zone("acme.example", zone_text),
        zone("_spf.google.com", '@ TXT "v=spf1 ip4:74.125.0.0/16 ~all"\n'),
    )
    report = check_domain("acme.example", provider_keys=provider_keys, smtp_hosts=[])
    return next(f for f in report.findings if f.key == "spf")


def test_without_a_known_provider_no_record_is_offered_only_what_to_write(dns_server):
    finding = spf_finding(dns_server, NO_SPF, [])
    assert finding.title == "No SPF record"
    assert finding.record_value == ""
    assert "v=spf1 ~all" not in finding.fix
    assert "the include: your provider documents" in finding.fix


def test_with_a_known_provider_the_record_names_its_servers(dns_server):
    finding = spf_finding(dns_server, NO_SPF, ["google"])
    assert finding.record_value == "v=spf1 include:_spf.google.com ~all"
    assert (finding.record_type, finding.record_name) == ("TXT", "acme.example")


def test_a_broken_record_without_a_known_provider_gets_no_empty_example(dns_server):
    finding = spf_finding(dns_server, NO_SPF + '@ TXT "v=spf1 inclde:oops ~all"\n', [])
    assert finding.title == "The SPF record is broken"
    assert finding.record_value == ""
    assert "shown below" not in finding.fix
