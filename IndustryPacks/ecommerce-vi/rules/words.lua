-- Vietnamese keywords, matched after case and accent folding (so "chua nhan duoc hang"
-- typed without accents matches too).
return {
  not_received = {
    "chưa nhận được hàng", "chưa nhận hàng", "chưa nhận được đơn", "không nhận được hàng", "chưa được giao",
    "chưa giao hàng", "giao chậm", "giao trễ", "mất hàng", "thất lạc",
  },
  delivery = { "giao hàng", "vận chuyển", "shipper", "mã vận đơn", "đơn vị vận chuyển", "phí ship" },
  refund = { "hoàn tiền", "trả hàng", "đổi trả", "đổi hàng", "trả lại", "refund" },
  payment = {
    "thanh toán", "bị trừ tiền", "trừ tiền hai lần", "chuyển khoản", "thẻ tín dụng", "ví điện tử", "hóa đơn", "momo", "zalopay",
  },
  order = { "đơn hàng", "hủy đơn", "đặt hàng", "mã đơn", "sửa địa chỉ", "thay đổi đơn" },
  product = { "sản phẩm", "kích thước", "size", "còn hàng", "bảo hành", "chất liệu", "màu" },
  fraud = { "lừa đảo", "hàng giả", "hàng nhái", "báo công an" },
  cancel = { "hủy đơn", "muốn hủy", "không mua nữa" },
}
