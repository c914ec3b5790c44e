"""The inbox (消息中心) and the deliveries that carry its entries out (SMS, WeChat)."""
