"""LinkedIn in the demo: the fictional company's tenant and the API emulator that serves it."""

from auditor.demo.linkedin.company import build
from auditor.demo.linkedin.emulator import create_emulator
from auditor.demo.platforms import register

register("linkedin", order=1, build=build, create_emulator=create_emulator)
