# shellcheck shell=sh disable=SC2034,SC2154
# What QEMU must say in the nested checks (e2e/l2-run.sh, l2-hotplug.sh),
# as the 10.2 series words it (see e2e/l2-messages-10.0.sh; the messages
# are those its guide quotes, docs/system/i386/amd-memory-encryption.rst).
# 10.2 explains the legacy container's limit once, when the device starts
# ("VFIO container allows N DMA mappings ...", then the ways out); a
# refused conversion says only that VFIO refused it.

# limit: the limit explained at start-up, the conversion refused.
L2_WANT_LIMIT="VFIO container allows $limit DMA mappings
vfio_iommu_type1.dma_entry_limit=
iommufd
cannot convert [0x2000000, +0x2000000) to shared: a listener (VFIO) refused to map it: No space left on device"
L2_TERM='SEV guest requested termination: reason set 1, code 1 (page state change failed)'
L2_WANT_CALIBRATION="VFIO container allows $limit DMA mappings
to shared: a listener (VFIO) refused to map it: No space left on device"
# refused-section, the check run: the refused section's report (once),
# the trace events of its refusal and of the retry that maps it, the
# refused conversion into it (once in all, once with the section as the
# cause).
L2_SECTION_TRACES='vfio_ram_discard_refuse vfio_ram_discard_retried'
L2_SECTION="vfio: cannot map the shared memory of region m0 [0xd0000, +0x4000) for DMA: No space left on device; the guest's conversions to shared there fail until guest memory is unmapped, then it is retried"
L2_WANT_SECTION='vfio_ram_discard_refuse region m0 iova 0xd0000 size 0x4000: cannot map (-28), refusing conversions
vfio_ram_discard_retried region m0 iova 0xd0000 size 0x4000: mapped on retry
cannot convert [0xd2000, +0x1000) to shared: a listener (VFIO) refused to map it: No space left on device'
L2_REFUSED='vfio: refused to share guest memory'
L2_REFUSED_CAUSE='of region m0 with the device: that part of the region could not be mapped for DMA when it appeared'
L2_VIOMMU="vfio $dev: a device behind a guest IOMMU cannot be assigned to a confidential guest: its DMA mappings would not follow the guest's private/shared conversions"
# hotplug: 10.2's refused device_add names the error, not the limit.
L2_WANT_HOTPLUG='Error: 
No space left on device
cannot map its populated parts for DMA'
