"""Magento in the demo: the fictional shop's back office, served from a SQLite copy of the schema subset
(written into the workspace; no emulator process: the database is the platform's interface)."""

from auditor.demo.magento.company import build
from auditor.demo.platforms import register

register("magento", order=11, build=build)
