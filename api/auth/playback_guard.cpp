#include "api/auth/playback_guard.h"

#include "api/auth/signed_url.h"
#include "api/auth/user_auth.h"

namespace tidecast::api::auth {

PlaybackGuard::~PlaybackGuard() {
  if (hub_ != nullptr) hub_->removeAuthorizer(authorizer_);
}

core::Status PlaybackGuard::mount(PluginContext& context) {
  hub_ = &context.hub;
  const core::Config& config = context.loop.config;
  authorizer_ =
      hub_->addAuthorizer(core::AccessRequest::Kind::kPlay,
                          [&config](const core::AccessRequest& request, core::AccessDone done) {
                            auto status = verifyPlayback(findApp(config, request.app), request.app,
                                                         request.key, request.query, unixNowMs());
                            if (!status) return done(status.error());
                            done(request.key);
                          });
  return {};
}

}  // namespace tidecast::api::auth
