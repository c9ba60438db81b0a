// Original file: berth_agent.proto


export interface FactoryResetRequest {
}

export interface FactoryResetRequest__Output {
}
