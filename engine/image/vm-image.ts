// The files a VM image gives the VM: what locate.ts finds and the VM driver boots.
export interface VmImage {
  kernel: string;
  initrd: string;
  rootfs: string;
  /** A formatted, empty data disk (qcow2) a new install starts from; absent in older images. */
  dataTemplate?: string;
}
