# shellcheck shell=sh disable=SC2034,SC2154
# What QEMU must say in the nested checks (e2e/l2-run.sh, l2-hotplug.sh),
# as the 10.0 series words it; sourced with $dev and $limit set.  e2e.sh
# puts the file of the base it runs (QEMU=) into the initramfs as
# /e2e/l2-messages.  Lists: one text a line, each must be found.

# limit: a conversion refused at the mapping limit, with the ways out.
L2_WANT_LIMIT='refused to share guest memory
holds at most
vfio_iommu_type1.dma_entry_limit=
iommufd'
L2_TERM='SEV guest requested termination: reason set 1, code 1 (page state change failed)'
# refused-section, the calibration run: the conversions refused at the limit.
L2_WANT_CALIBRATION='refused to share guest memory
holds at most'
# refused-section, the check run: the refused section's report (once), the
# trace event that shows its retry, the refused conversion into it (once
# in all, once with the section as the cause).
L2_SECTION_TRACES=vfio_ram_discard_refused_section_mapped
L2_SECTION='vfio: region m0 at 0xd0000: the guest cannot share memory there with the device until it can be mapped for DMA: '
L2_WANT_SECTION='No space left on device
holds at most
vfio_ram_discard_refused_section_mapped region m0 at 0xd0000 size 0x4000: refused before, mapped now'
L2_REFUSED='vfio: refused to share guest memory'
L2_REFUSED_CAUSE="of RAM block 'm0' with the device: its memory there could not be mapped for DMA when it appeared: "
# viommu: the error, after "qemu-system-x86_64: -device vfio-pci,host=$dev: ".
L2_VIOMMU="vfio $dev: a device behind a guest IOMMU cannot be assigned to a confidential guest: its DMA mappings would not follow the guest's private/shared conversions"
# hotplug: the refused device_add's error (grep patterns).
L2_WANT_HOTPLUG="Error: 
No space left on device
holds at most $limit DMA mappings
vfio_iommu_type1.dma_entry_limit=
iommufd"
