"""Benchmark the LDAP directory read against ``ldapsearch`` on the same entries, in the same run.

Generates ``--size`` OpenLDAP-shaped people (inetOrgPerson with the attributes a real HR feed carries, most of
which the mapping never reads) and one ``groupOfNames`` per 100 people, loads them into a private slapd with
``slapadd -q`` (tests/support/slapd.py), then measures, each ``--repeat`` times (median):

- the anchor: the C client ``ldapsearch -E pr=1000/noprompt`` reading the people and the groups (what the
  directory read reads), output to /dev/null;
- the full read: ``LdapDirectory.people(now)`` (people, groups resolved, mapped to ``Person``);
- the incremental read with nothing changed: ``LdapDirectory.sync(state, now)`` after a full sync (changed
  entries since the cursor, DN-only presence listings, unchanged people taken from the state). The entries
  carry change stamps from months ago, as a directory at rest does.

Goals (issue "Scale"): full read <= 6x the anchor, incremental <= 2x. The figures go to ``--json`` (default
``bench/out/bench_directory-<size>.json``).

    python bench/bench_directory.py [--size 50000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import platform as host
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from auditor.config import DirectorySettings  # noqa: E402
from auditor.directory.groups import GROUP_FILTER  # noqa: E402
from auditor.directory.ldap import LdapDirectory, person_filter  # noqa: E402
from tests.support.slapd import find_program, start_slapd  # noqa: E402

OUT = Path(__file__).resolve().parent / "out"
SUFFIX = "dc=bench,dc=example"
NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
GOALS = {"full_vs_anchor": 6.0, "incremental_vs_anchor": 2.0}
DEPARTMENTS = ("Marketing", "Sales", "IT", "Finance", "Support", "Logistics", "Legal", "HR")


def people_ldif(size: int) -> str:
    """``size`` people under ou=people and ``size // 100`` groups of 100 members under ou=groups."""
    parts = [f"dn: ou=people,{SUFFIX}\nobjectClass: organizationalUnit\nou: people\n",
             f"dn: ou=groups,{SUFFIX}\nobjectClass: organizationalUnit\nou: groups\n"]
    for i in range(size):
        uid = f"user{i:06d}"
        manager = f"uid=user{(i // 10) * 10:06d},ou=people,{SUFFIX}"
        expire = "\nemployeeType: contractor" if i % 17 == 0 else "\nemployeeType: employee"
        parts.append(
            f"dn: uid={uid},ou=people,{SUFFIX}\nobjectClass: inetOrgPerson\nuid: {uid}\n"
            f"cn: User {i}\nsn: Number{i}\ngivenName: User\ndisplayName: User Number {i}\n"
            f"mail: {uid}@bench.example\ndepartmentNumber: {DEPARTMENTS[i % len(DEPARTMENTS)]}{expire}\n"
            f"manager: {manager}\ntitle: Specialist grade {i % 7}\ntelephoneNumber: +48 22 555 {i % 10000:04d}\n"
            f"mobile: +48 600 {i % 1000:03d} {i % 997:03d}\nstreet: Kwiatowa {i % 300}\nl: Warszawa\n"
            f"postalCode: 00-{i % 1000:03d}\nemployeeNumber: {100000 + i}\n"
            f"description: Generated person {i} for the directory benchmark, with a description of realistic "
            f"length that the mapping never reads\n"
            f"userPassword: {{SSHA}}bm90LWEtcmVhbC1wYXNzd29yZC1qdXN0LWJ5dGVz{i:06d}\n"
            f"modifyTimestamp: 2025{1 + i % 5:02d}{1 + i % 28:02d}093000Z\n"  # changed months ago
        )
    for g in range(size // 100):
        members = "".join(f"member: uid=user{i:06d},ou=people,{SUFFIX}\n" for i in range(g * 100, g * 100 + 100))
        parts.append(f"dn: cn=group{g:05d},ou=groups,{SUFFIX}\nobjectClass: groupOfNames\ncn: group{g:05d}\n"
                     f"modifyTimestamp: 20250301120000Z\n{members}")
    return "\n".join(parts)


def median_seconds(func: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """The median wall time of ``repeat`` calls and the last call's value."""
    times, value = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        value = func()
        times.append(time.perf_counter() - start)
    return round(statistics.median(times), 3), value


def ldapsearch(url: str, bind_dn: str, password: str, search_filter: str) -> int:
    """Run the C client with paging, output discarded; return the number of entries it printed."""
    out = subprocess.run(
        [find_program("ldapsearch"), "-x", "-LLL", "-H", url, "-D", bind_dn, "-w", password, "-b", SUFFIX,
         "-E", "pr=1000/noprompt", search_filter],
        check=True, capture_output=True,
    ).stdout
    return out.count(b"\ndn: ") + out.startswith(b"dn: ")


def main() -> None:
    """Load the tree, measure anchor, full read and incremental read, print ratios and write the JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    results: dict[str, Any] = {"size": args.size, "repeat": args.repeat, "python": host.python_version(),
                               "machine": host.machine(), "at": datetime.now(UTC).isoformat(timespec="seconds")}
    with tempfile.TemporaryDirectory(prefix="bench-directory-") as tmp:
        started = time.perf_counter()
        server = start_slapd(Path(tmp) / "slapd", SUFFIX, people_ldif(args.size))
        results["load_seconds"] = round(time.perf_counter() - started, 2)
        print(f"slapadd + start of {args.size} people: {results['load_seconds']} s", flush=True)
        try:
            settings = DirectorySettings.model_validate({
                "kind": "ldap", "url": server.url, "bind_dn": server.bind_dn, "base_dn": SUFFIX,
                "flavor": "openldap", "receive_timeout": 120,
            })
            directory = LdapDirectory(settings, password=server.password)
            anchor_people, count = median_seconds(
                lambda: ldapsearch(server.url, server.bind_dn, server.password, person_filter(settings)),
                args.repeat)
            anchor_groups, _ = median_seconds(
                lambda: ldapsearch(server.url, server.bind_dn, server.password, GROUP_FILTER), args.repeat)
            anchor = round(anchor_people + anchor_groups, 3)
            results.update(anchor_people_seconds=anchor_people, anchor_groups_seconds=anchor_groups,
                           anchor_seconds=anchor, anchor_entries=count)
            print(f"  anchor ldapsearch pr=1000   {anchor:>7.2f} s  (people {anchor_people}, groups "
                  f"{anchor_groups}; {count} people)", flush=True)
            full, people = median_seconds(lambda: list(directory.people(NOW)), args.repeat)
            assert len(people) == args.size, f"read {len(people)} people, expected {args.size}"
            results.update(full_seconds=full, full_vs_anchor=round(full / anchor, 2))
            print(f"  full read                   {full:>7.2f} s  {full / anchor:>5.1f}x anchor", flush=True)
            if hasattr(directory, "sync"):
                state = directory.sync(None, NOW).state
                later = NOW + timedelta(minutes=5)
                incremental, result = median_seconds(lambda: directory.sync(state, later), args.repeat)
                assert result.mode == "incremental" and len(result.people) == args.size, result.mode
                results.update(incremental_seconds=incremental,
                               incremental_vs_anchor=round(incremental / anchor, 2))
                print(f"  incremental, no change      {incremental:>7.2f} s  {incremental / anchor:>5.1f}x anchor",
                      flush=True)
        finally:
            server.stop()
    results["goals"] = GOALS
    results["met"] = {key: results[key] <= goal for key, goal in GOALS.items() if key in results}
    target = args.json or OUT / f"bench_directory-{args.size}.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
