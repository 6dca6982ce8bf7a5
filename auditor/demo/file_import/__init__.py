"""File imports in the demo: the admins' exports of the fictional company (no API, so no emulator)."""

from auditor.demo.file_import.company import build
from auditor.demo.platforms import register

register("import", order=6, build=build)
