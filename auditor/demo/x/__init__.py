"""X in the demo: the fictional company's tenant and the API emulator that serves it."""

from auditor.demo.platforms import register
from auditor.demo.x.company import build
from auditor.demo.x.emulator import create_emulator

register("x", order=3, build=build, create_emulator=create_emulator)
