// Original file: berth_agent.proto


export interface InventoryRequest {
}

export interface InventoryRequest__Output {
}
