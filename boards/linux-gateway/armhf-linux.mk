# 32-bit ARM Linux gateways (ARMv7-A hard-float: Raspberry Pi 2/3 on a 32-bit
# OS, i.MX6, AM335x): Debian's cross gcc and multiarch libmbedtls-dev:armhf,
# tested under qemu-user. 32-bit size_t/long: the build that catches format
# and conversion slips. `make TARGET=armhf-linux ...`; see README.md.
GATEWAY_TARGETS    += armhf-linux
armhf-linux_CC     := arm-linux-gnueabihf-gcc
armhf-linux_AR     := arm-linux-gnueabihf-ar
armhf-linux_RUN    := qemu-arm -L /usr/arm-linux-gnueabihf
