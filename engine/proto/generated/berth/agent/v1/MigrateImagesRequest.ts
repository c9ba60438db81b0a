// Original file: berth_agent.proto


export interface MigrateImagesRequest {
}

export interface MigrateImagesRequest__Output {
}
