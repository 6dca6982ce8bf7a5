"""Google Analytics 4 in the demo: the fictional company's Analytics account and the API emulator serving it."""

from auditor.demo.ga4.company import build
from auditor.demo.ga4.emulator import create_emulator
from auditor.demo.platforms import register

register("ga4", order=10, build=build, create_emulator=create_emulator)
