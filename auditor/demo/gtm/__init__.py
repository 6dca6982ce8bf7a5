"""Google Tag Manager in the demo: the fictional company's account and the API emulator that serves it."""

from auditor.demo.gtm.company import build
from auditor.demo.gtm.emulator import create_emulator
from auditor.demo.platforms import register

register("gtm", order=9, build=build, create_emulator=create_emulator)
