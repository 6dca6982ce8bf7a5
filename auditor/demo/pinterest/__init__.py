"""Pinterest in the demo: the fictional company's tenant and the API emulator that serves it."""

from auditor.demo.pinterest.company import build
from auditor.demo.pinterest.emulator import create_emulator
from auditor.demo.platforms import register

register("pinterest", order=4, build=build, create_emulator=create_emulator)
