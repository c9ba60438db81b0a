// Original file: berth_agent.proto


export interface StatusRequest {
}

export interface StatusRequest__Output {
}
