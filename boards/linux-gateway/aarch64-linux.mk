# 64-bit ARM Linux gateways (Cortex-A53/A72 class; Raspberry Pi 3/4/5 on a
# 64-bit OS, i.MX8): Debian's cross gcc and multiarch libmbedtls-dev:arm64,
# tested under qemu-user. `make TARGET=aarch64-linux ...`; see README.md.
GATEWAY_TARGETS    += aarch64-linux
aarch64-linux_CC   := aarch64-linux-gnu-gcc
aarch64-linux_AR   := aarch64-linux-gnu-ar
aarch64-linux_RUN  := qemu-aarch64 -L /usr/aarch64-linux-gnu
