// Original file: berth_agent.proto

export const ImageStore = {
  IMAGE_STORE_UNSPECIFIED: 'IMAGE_STORE_UNSPECIFIED',
  IMAGE_STORE_CONTAINERD: 'IMAGE_STORE_CONTAINERD',
  IMAGE_STORE_CLASSIC: 'IMAGE_STORE_CLASSIC',
} as const;

export type ImageStore =
  | 'IMAGE_STORE_UNSPECIFIED'
  | 0
  | 'IMAGE_STORE_CONTAINERD'
  | 1
  | 'IMAGE_STORE_CLASSIC'
  | 2

export type ImageStore__Output = typeof ImageStore[keyof typeof ImageStore]
