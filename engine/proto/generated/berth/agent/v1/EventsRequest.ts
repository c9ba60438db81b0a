// Original file: berth_agent.proto


export interface EventsRequest {
}

export interface EventsRequest__Output {
}
