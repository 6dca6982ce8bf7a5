"""Identities: platform accounts as people see them (one row per identity across platforms), links and markings
made in the web UI (agency / external accounts, service accounts), the queue per person, and saved views."""
