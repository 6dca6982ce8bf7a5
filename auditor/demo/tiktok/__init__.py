"""TikTok in the demo: the fictional company's tenant and the API emulator that serves it."""

from auditor.demo.platforms import register
from auditor.demo.tiktok.company import build
from auditor.demo.tiktok.emulator import create_emulator

register("tiktok", order=2, build=build, create_emulator=create_emulator)
