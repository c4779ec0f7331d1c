// The console's words in the tenant's language (the pack's locale), with the tenant's own
// nouns for tickets, customers and agents: {ticket}, {tickets}, {customer}, {agent}, {resolve}.

const strings = {
  en: {
    signIn: 'Sign in', signOut: 'Sign out', tenant: 'Workspace', email: 'E-mail', password: 'Password',
    signInTitle: 'Sign in to Docket', signInFailed: 'The workspace, e-mail or password is not right.',
    tooMany: 'Too many attempts. Try again in {s} s.', choosePassword: 'Choose your password', passwordAgain: 'Password again',
    passwordsDiffer: 'The two passwords differ.', passwordRule: 'At least 10 characters.', savePassword: 'Save and sign in',
    pending: 'Waiting', mine: 'My {tickets}', all: 'All {tickets}', admin: 'Admin', reports: 'Reports',
    noPending: 'No {tickets} waiting. New conversations appear here by themselves.', noMine: 'You hold no open {tickets}.',
    claim: 'Take it', claimed: 'You took {id}.', takenBy: 'Taken by {name}', unassigned: 'Unassigned',
    live: 'Live', connecting: 'Connecting…', reconnecting: 'Reconnecting…', offline: 'Offline — reconnecting',
    send: 'Send', reply: 'Reply to the {customer}', internalNote: 'Internal note', publicReply: 'Reply', notePlaceholder: 'Only staff see this note',
    replyPlaceholder: 'Write to the {customer}…', typing: '{name} is typing…', read: 'Read', sent: 'Sent',
    status: 'Status', priority: 'Priority', category: 'Category', queue: 'Queue', tags: 'Tags', assignee: 'Assigned to',
    changeStatus: 'Move to', resolve: '{resolve}', resolutionNotes: 'What was done', escalate: 'Escalate', escalateReason: 'Why',
    transfer: 'Transfer', transferTo: 'Transfer to', save: 'Save', cancel: 'Cancel', search: 'Search', searchPlaceholder: 'Words, names, IDs…',
    anyStatus: 'Any status', anyPriority: 'Any priority', anyCategory: 'Any category', anyQueue: 'Any queue', anyone: 'Anyone', nobody: 'Nobody',
    filters: 'Filters', results: '{n} found', loadOlder: 'Older messages', notes: 'Notes', internal: 'Internal', public: 'Public',
    sla: 'SLA', firstResponse: 'First response', resolution: 'Resolution', nextReply: 'Next reply', left: '{t} left', overdue: '{t} overdue',
    timers: 'Timers', timerIn: 'in {t}', timerDue: 'due now', timerKept: 'kept after resolving', timerBy: 'set by {rule}',
    met: 'Met', breached: 'Breached', warning: 'Due soon', businessTime: 'business time', noAudit: 'No rule acted on this {ticket}.',
    applied: 'applied', rejected: 'rejected', proposed: 'proposed', error: 'error', back: 'Back', selectTicket: 'Pick a {ticket} to work on it.',
    system: 'System', you: 'You', customerLabel: '{customer}', unread: '{n} unread', conversation: 'Conversation',
    priorities: { urgent: 'Urgent', high: 'High', medium: 'Medium', low: 'Low' },
    why: 'Why', nothingDecided: 'No rule changed anything here.', handlersRan: 'Rule handlers that ran: {n}', followUp: 'follow-up',
    instructions: '{n} instructions', outcomes: { actions: 'acted', no_actions: 'nothing to do', error: 'failed', budget: 'over budget' },
    roles: { canary: 'candidate version (canary)', shadow: 'shadow: recorded, not applied' },
    rolloutRolledBack: 'The rollout of {v} rolled back by itself: the active version decides again.',
    presence_online: 'Available', presence_away: 'Away', presence_offline: 'Offline', presenceToggle: 'Your availability: {s}. Change it',
    replay: 'Replay under another version', replayVersion: 'Pack version', replayRun: 'Replay', event: 'Event',
    onlyActive: 'only what was applied', onlyCandidate: 'only the replayed version',
    replaySummary: 'With {c}, {n} of {m} recorded events would go differently (applied: {a}).',
    opened: 'opened {t}', updated: 'updated {t}', description: 'Description', attachments: 'Attachments', fields: 'Details',
    failed: 'That did not work: {m}', retry: 'Retry', loading: 'Loading…',
    // customer chat
    chatTitle: 'Support', chatIntro: 'Write to us: an {agent} answers here.', chatPlaceholder: 'Write a message…',
    chatClosed: 'This {ticket} is {status}. Write again to open a new one.', rate: 'How did we do?', rateThanks: 'Thank you for your rating.',
    comment: 'Comment (optional)', sendRating: 'Send rating', chatNeedsToken: 'This page needs a sign-in from the site that sent you here.',
    chatUnavailable: 'The chat could not open. Please try again in a moment.',
    agentTyping: 'The {agent} is typing…', yourTicket: 'Your {ticket} {id}',
  },
  es: {
    signIn: 'Entrar', signOut: 'Salir', tenant: 'Espacio', email: 'Correo', password: 'Contraseña',
    signInTitle: 'Entrar a Docket', signInFailed: 'El espacio, el correo o la contraseña no son correctos.',
    tooMany: 'Demasiados intentos. Vuelve a intentar en {s} s.', choosePassword: 'Elige tu contraseña', passwordAgain: 'Repite la contraseña',
    passwordsDiffer: 'Las contraseñas no coinciden.', passwordRule: 'Al menos 10 caracteres.', savePassword: 'Guardar y entrar',
    pending: 'En espera', mine: 'Mis {tickets}', all: 'Todos los {tickets}', admin: 'Administración', reports: 'Informes',
    noPending: 'No hay {tickets} en espera. Las conversaciones nuevas aparecen aquí solas.', noMine: 'No tienes {tickets} abiertos.',
    claim: 'Tomar', claimed: 'Tomaste {id}.', takenBy: 'Lo tomó {name}', unassigned: 'Sin asignar',
    live: 'En vivo', connecting: 'Conectando…', reconnecting: 'Reconectando…', offline: 'Sin conexión — reconectando',
    send: 'Enviar', reply: 'Responder al {customer}', internalNote: 'Nota interna', publicReply: 'Respuesta', notePlaceholder: 'Solo el equipo ve esta nota',
    replyPlaceholder: 'Escribe al {customer}…', typing: '{name} está escribiendo…', read: 'Leído', sent: 'Enviado',
    status: 'Estado', priority: 'Prioridad', category: 'Categoría', queue: 'Cola', tags: 'Etiquetas', assignee: 'Asignado a',
    changeStatus: 'Pasar a', resolve: '{resolve}', resolutionNotes: 'Qué se hizo', escalate: 'Escalar', escalateReason: 'Motivo',
    transfer: 'Transferir', transferTo: 'Transferir a', save: 'Guardar', cancel: 'Cancelar', search: 'Buscar', searchPlaceholder: 'Palabras, nombres, folios…',
    anyStatus: 'Cualquier estado', anyPriority: 'Cualquier prioridad', anyCategory: 'Cualquier categoría', anyQueue: 'Cualquier cola', anyone: 'Cualquiera', nobody: 'Nadie',
    filters: 'Filtros', results: '{n} encontrados', loadOlder: 'Mensajes anteriores', notes: 'Notas', internal: 'Interna', public: 'Pública',
    sla: 'SLA', firstResponse: 'Primera respuesta', resolution: 'Resolución', nextReply: 'Siguiente respuesta', left: 'quedan {t}', overdue: '{t} de retraso',
    timers: 'Temporizadores', timerIn: 'en {t}', timerDue: 'vence ahora', timerKept: 'se mantiene al resolver', timerBy: 'puesto por {rule}',
    met: 'Cumplido', breached: 'Incumplido', warning: 'Por vencer', businessTime: 'tiempo hábil', noAudit: 'Ninguna regla actuó en este {ticket}.',
    applied: 'aplicadas', rejected: 'rechazadas', proposed: 'propuestas', error: 'error', back: 'Volver', selectTicket: 'Elige un {ticket} para atenderlo.',
    system: 'Sistema', you: 'Tú', customerLabel: '{customer}', unread: '{n} sin leer', conversation: 'Conversación',
    priorities: { urgent: 'Urgente', high: 'Alta', medium: 'Media', low: 'Baja' },
    why: 'Por qué', nothingDecided: 'Ninguna regla cambió nada aquí.', handlersRan: 'Reglas que se ejecutaron: {n}', followUp: 'consecuencia',
    instructions: '{n} instrucciones', outcomes: { actions: 'actuó', no_actions: 'sin acciones', error: 'falló', budget: 'excedió el límite' },
    roles: { canary: 'versión candidata (canario)', shadow: 'en sombra: registrada, no aplicada' },
    rolloutRolledBack: 'El despliegue de {v} se revirtió solo: la versión activa vuelve a decidir.',
    presence_online: 'Disponible', presence_away: 'Ausente', presence_offline: 'Desconectado', presenceToggle: 'Tu disponibilidad: {s}. Cambiarla',
    replay: 'Repetir con otra versión', replayVersion: 'Versión del paquete', replayRun: 'Repetir', event: 'Evento',
    onlyActive: 'solo lo aplicado', onlyCandidate: 'solo la versión repetida',
    replaySummary: 'Con {c}, {n} de {m} eventos registrados irían distinto (aplicado: {a}).',
    opened: 'abierto {t}', updated: 'actualizado {t}', description: 'Descripción', attachments: 'Adjuntos', fields: 'Datos',
    failed: 'No se pudo: {m}', retry: 'Reintentar', loading: 'Cargando…',
    chatTitle: 'Soporte', chatIntro: 'Escríbenos: un {agent} te responde aquí.', chatPlaceholder: 'Escribe un mensaje…',
    chatClosed: 'Este {ticket} está {status}. Escribe de nuevo para abrir otro.', rate: '¿Cómo te atendimos?', rateThanks: 'Gracias por tu calificación.',
    comment: 'Comentario (opcional)', sendRating: 'Enviar calificación', chatNeedsToken: 'Esta página necesita un acceso del sitio que te trajo aquí.',
    chatUnavailable: 'No se pudo abrir el chat. Inténtalo de nuevo en un momento.',
    agentTyping: 'El {agent} está escribiendo…', yourTicket: 'Tu {ticket} {id}',
  },
  vi: {
    signIn: 'Đăng nhập', signOut: 'Đăng xuất', tenant: 'Không gian làm việc', email: 'Email', password: 'Mật khẩu',
    signInTitle: 'Đăng nhập Docket', signInFailed: 'Không gian, email hoặc mật khẩu không đúng.',
    tooMany: 'Quá nhiều lần thử. Thử lại sau {s} giây.', choosePassword: 'Chọn mật khẩu', passwordAgain: 'Nhập lại mật khẩu',
    passwordsDiffer: 'Hai mật khẩu không khớp.', passwordRule: 'Ít nhất 10 ký tự.', savePassword: 'Lưu và đăng nhập',
    pending: 'Đang chờ', mine: '{tickets} của tôi', all: 'Tất cả {tickets}', admin: 'Quản trị', reports: 'Báo cáo',
    noPending: 'Không có {tickets} đang chờ. Cuộc trò chuyện mới sẽ tự hiện ở đây.', noMine: 'Bạn không giữ {tickets} nào đang mở.',
    claim: 'Nhận xử lý', claimed: 'Bạn đã nhận {id}.', takenBy: '{name} đã nhận', unassigned: 'Chưa giao',
    live: 'Trực tuyến', connecting: 'Đang kết nối…', reconnecting: 'Đang kết nối lại…', offline: 'Mất kết nối — đang kết nối lại',
    send: 'Gửi', reply: 'Trả lời {customer}', internalNote: 'Ghi chú nội bộ', publicReply: 'Trả lời', notePlaceholder: 'Chỉ nhân viên thấy ghi chú này',
    replyPlaceholder: 'Viết cho {customer}…', typing: '{name} đang nhập…', read: 'Đã xem', sent: 'Đã gửi',
    status: 'Trạng thái', priority: 'Mức ưu tiên', category: 'Danh mục', queue: 'Hàng đợi', tags: 'Thẻ', assignee: 'Người phụ trách',
    changeStatus: 'Chuyển sang', resolve: '{resolve}', resolutionNotes: 'Đã làm gì', escalate: 'Chuyển cấp', escalateReason: 'Lý do',
    transfer: 'Chuyển giao', transferTo: 'Chuyển cho', save: 'Lưu', cancel: 'Hủy', search: 'Tìm kiếm', searchPlaceholder: 'Từ khóa, tên, mã…',
    anyStatus: 'Mọi trạng thái', anyPriority: 'Mọi mức ưu tiên', anyCategory: 'Mọi danh mục', anyQueue: 'Mọi hàng đợi', anyone: 'Bất kỳ ai', nobody: 'Chưa ai',
    filters: 'Bộ lọc', results: 'Tìm thấy {n}', loadOlder: 'Tin nhắn cũ hơn', notes: 'Ghi chú', internal: 'Nội bộ', public: 'Công khai',
    sla: 'SLA', firstResponse: 'Phản hồi đầu tiên', resolution: 'Giải quyết', nextReply: 'Phản hồi tiếp theo', left: 'còn {t}', overdue: 'trễ {t}',
    timers: 'Hẹn giờ', timerIn: 'sau {t}', timerDue: 'đến hạn', timerKept: 'giữ lại khi giải quyết', timerBy: 'đặt bởi {rule}',
    met: 'Đạt', breached: 'Vi phạm', warning: 'Sắp đến hạn', businessTime: 'giờ làm việc', noAudit: 'Chưa có quy tắc nào tác động lên {ticket} này.',
    applied: 'đã áp dụng', rejected: 'bị từ chối', proposed: 'đề xuất', error: 'lỗi', back: 'Quay lại', selectTicket: 'Chọn một {ticket} để xử lý.',
    system: 'Hệ thống', you: 'Bạn', customerLabel: '{customer}', unread: '{n} chưa đọc', conversation: 'Cuộc trò chuyện',
    priorities: { urgent: 'Khẩn cấp', high: 'Cao', medium: 'Trung bình', low: 'Thấp' },
    why: 'Vì sao', nothingDecided: 'Không quy tắc nào thay đổi gì ở đây.', handlersRan: 'Số quy tắc đã chạy: {n}', followUp: 'hệ quả',
    instructions: '{n} lệnh', outcomes: { actions: 'đã tác động', no_actions: 'không có hành động', error: 'lỗi', budget: 'vượt giới hạn' },
    roles: { canary: 'phiên bản thử (thử nghiệm)', shadow: 'chạy song song: chỉ ghi lại, không áp dụng' },
    rolloutRolledBack: 'Bản triển khai {v} đã tự hoàn tác: phiên bản chính quyết định trở lại.',
    presence_online: 'Sẵn sàng', presence_away: 'Vắng mặt', presence_offline: 'Ngoại tuyến', presenceToggle: 'Trạng thái của bạn: {s}. Đổi',
    replay: 'Chạy lại với phiên bản khác', replayVersion: 'Phiên bản gói', replayRun: 'Chạy lại', event: 'Sự kiện',
    onlyActive: 'chỉ những gì đã áp dụng', onlyCandidate: 'chỉ phiên bản chạy lại',
    replaySummary: 'Với {c}, {n} trên {m} sự kiện đã ghi sẽ diễn ra khác (đã áp dụng: {a}).',
    opened: 'mở {t}', updated: 'cập nhật {t}', description: 'Mô tả', attachments: 'Tệp đính kèm', fields: 'Thông tin',
    failed: 'Không thực hiện được: {m}', retry: 'Thử lại', loading: 'Đang tải…',
    chatTitle: 'Hỗ trợ', chatIntro: 'Hãy nhắn cho chúng tôi: {agent} sẽ trả lời tại đây.', chatPlaceholder: 'Nhập tin nhắn…',
    chatClosed: '{ticket} này đã {status}. Nhắn tiếp để mở {ticket} mới.', rate: 'Bạn đánh giá thế nào?', rateThanks: 'Cảm ơn bạn đã đánh giá.',
    comment: 'Nhận xét (không bắt buộc)', sendRating: 'Gửi đánh giá', chatNeedsToken: 'Trang này cần được mở từ trang web đã gửi bạn đến.',
    chatUnavailable: 'Không mở được cuộc trò chuyện. Vui lòng thử lại sau giây lát.',
    agentTyping: '{agent} đang nhập…', yourTicket: '{ticket} của bạn {id}',
  },
};

const fallbackWords = { ticketSingular: 'ticket', ticketPlural: 'tickets', customerNoun: 'customer', agentNoun: 'agent', resolveVerb: 'resolve' };

export function languageOf(locale) {
  const base = String(locale || navigator.language || 'en').toLowerCase().split(/[-_]/)[0];
  return strings[base] ? base : 'en';
}

/** A translator: t('mine') → "Mis reportes". */
export function translator(locale, terminology) {
  const lang = languageOf(locale);
  const words = { ...fallbackWords, ...(terminology || {}) };
  const table = strings[lang];
  const capital = (s) => (s ? s[0].toLocaleUpperCase(lang) + s.slice(1) : s);
  const t = (key, values = {}) => {
    const raw = key.split('.').reduce((node, part) => (node ? node[part] : undefined), table) ?? key.split('.').reduce((n, p) => (n ? n[p] : undefined), strings.en) ?? key;
    let text = String(raw)
      .replaceAll('{ticket}', words.ticketSingular).replaceAll('{tickets}', words.ticketPlural)
      .replaceAll('{customer}', words.customerNoun).replaceAll('{agent}', words.agentNoun).replaceAll('{resolve}', capital(words.resolveVerb));
    for (const [name, value] of Object.entries(values)) text = text.replaceAll(`{${name}}`, String(value));
    return capital(text);
  };
  t.lang = lang;
  t.words = words;
  return t;
}

/** A screen's own words (`table[lang][key]`, English when missing) with {name} values. */
export function wordsOf(table, t) {
  return (key, values = {}) => {
    let text = (table[t.lang] || table.en)[key] || table.en[key] || key;
    for (const [name, value] of Object.entries(values)) text = text.replaceAll(`{${name}}`, String(value));
    return text;
  };
}
